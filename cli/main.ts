#!/usr/bin/env node
/** The `x0tta6bl4` command line: one file per command; this one only parses and dispatches. */
import { Argument, Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../actors/runtime/config-error.js';
import { EXIT_CONFIG, EXIT_FATAL } from './exit-codes.js';
import { runCommand } from './run-command.js';
import { statusCommand } from './status-command.js';
import { chaosCommand } from './chaos-command.js';
import { incidentsCommand } from './incidents-command.js';
import { UsageError } from './usage-error.js';
import { CAUSE_KINDS } from '../lib/mape/causes.js';

const program = new Command()
  .name('x0tta6bl4')
  .description('Self-healing mesh node: supervised XState actors in worker threads, SQLite knowledge base.')
  .showHelpAfterError()
  // Usage errors become exceptions, so they exit with the configuration error code below.
  .exitOverride();

const configOptions = (command: Command) =>
  command
    .option('-c, --config <file>', 'configuration file (JSON or YAML); X0TTA6BL4_CONFIG also names it')
    .option('-d, --data-dir <dir>', 'data directory (store, control socket)');

configOptions(program.command('run').description('run a node in the foreground until SIGTERM/SIGINT'))
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']))
  .action(runCommand);

configOptions(program.command('status').description('show the running node: tree, states, restarts, mailboxes'))
  .option('--json', 'print the status as JSON')
  .action(statusCommand);

configOptions(
  program
    .command('chaos')
    .description('inject a fault for the self-healing loop to find and remedy (refused in production mode)')
    .addArgument(new Argument('<kind>', 'fault kind').choices(CAUSE_KINDS)),
)
  .option('-t, --target <actor>', 'actor to inject into (default: the first actor outside the loop, else the planner)')
  .option('--json', 'print the injection as JSON')
  .action(chaosCommand);

configOptions(program.command('incidents').description('list incidents from the knowledge base: phases, cause, actions, outcomes'))
  .option('--since <duration>', 'only incidents detected within this long (90s, 10m, 2h, 7d)')
  .option('--json', 'print the incidents as JSON')
  .action(incidentsCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the problem; --help and --version end with code 0.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CONFIG;
  } else if (error instanceof UsageError) {
    console.error(`x0tta6bl4: ${error.message}`);
    process.exitCode = EXIT_CONFIG;
  } else if (error instanceof ConfigError) {
    console.error(`x0tta6bl4: invalid configuration: ${error.message}`);
    process.exitCode = EXIT_CONFIG;
  } else {
    console.error(`x0tta6bl4: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exitCode = EXIT_FATAL;
  }
}
