#!/usr/bin/env node
/** The `x0tta6bl4` command line: one file per command; this one only parses and dispatches. */
import { Argument, Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../actors/runtime/index.js';
import { EXIT_CONFIG, EXIT_FATAL } from './exit-codes.js';
import { runCommand } from './run-command.js';
import { statusCommand } from './status-command.js';
import { CHAOS_KINDS, chaosCommand } from './chaos-command.js';
import { incidentsCommand } from './incidents-command.js';
import { UsageError } from './usage-error.js';
import { SpiffeIdError } from '../lib/spiffe/errors.js';
import { EmbeddedCaError } from '../lib/spiffe/embedded-ca-error.js';

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
  .option('--inspect [port]', "relay every machine's XState inspection events to Stately's inspector (http://localhost:PORT, default 8080)")
  .action(runCommand);

configOptions(program.command('status').description('show the running node: tree, states, restarts, mailboxes'))
  .option('--json', 'print the status as JSON')
  .action(statusCommand);

configOptions(
  program
    .command('chaos')
    .description('inject a fault for the self-healing loop to find and remedy: into an actor, a link, or a peer process (refused in production mode)')
    .addArgument(new Argument('<kind>', 'fault kind').choices(CHAOS_KINDS)),
)
  .option('-t, --target <actor>', 'actor to inject into (default: the first actor outside the loop, else the planner)')
  .option('--peer <spiffe-id>', 'link and peer faults: the peer at the far end')
  .option('--pid <pid>', 'kill-peer, freeze-peer: the peer node\'s process, signalled by this command')
  .option('--share <ratio>', 'lossy-link: share of heartbeats dropped each way (default 0.3)')
  .option('--for <ms>', 'link faults: how long they last (default 60000); freeze-peer: how long the peer stays stopped (default 10000)')
  .option('--json', 'print the injection as JSON')
  .action(chaosCommand);

configOptions(program.command('peers').description('list the mesh members the running node knows: state, link, addresses, incarnation'))
  .option('--json', 'print the members as JSON')
  .action(async (flags) => (await import('./peers-command.js')).peersCommand(flags));

configOptions(program.command('routes').description('list the routes the running node uses to each mesh member: next hop, metric, sequence number'))
  .option('--json', 'print the routes as JSON')
  .action(async (flags) => (await import('./routes-command.js')).routesCommand(flags));

const mesh = program.command('mesh').description('the mesh: a local demo, end-to-end pings');
configOptions(mesh.command('demo').description('start N node processes on loopback in one embedded trust domain, linked as a ring with chords; Ctrl-C stops them all'))
  .option('--nodes <n>', 'how many nodes (2-32)', '5')
  .option('--dir <dir>', 'a directory to make for their data directories (default: a new temporary one)')
  .option('--keep', 'keep the directories after the stop')
  .action(async (flags) => (await import('./mesh-demo-command.js')).meshDemoCommand(flags));
configOptions(mesh.command('ping').description('end-to-end pings to a mesh member over its route: round trip, next hop, hops each way (exit 1: no reply)'))
  .argument('<spiffe-id>', "the member's SPIFFE ID")
  .option('--count <n>', 'pings to send (1-100)', '4')
  .option('--interval <ms>', 'between pings (10-10000)', '200')
  .option('--timeout <ms>', 'how long each waits for its reply (100-60000)', '2000')
  .option('--json', 'print the replies as JSON')
  .action(async (to: string, flags) => (await import('./mesh-ping-command.js')).meshPingCommand(to, flags));

configOptions(program.command('incidents').description('list incidents from the knowledge base: phases, cause, actions, outcomes'))
  .option('--since <duration>', 'only incidents detected within this long (90s, 10m, 2h, 7d)')
  .option('--json', 'print the incidents as JSON')
  .action(incidentsCommand);

const identity = program.command('identity').description('SPIFFE identity: verify SVIDs, the embedded trust domain');
identity
  .command('verify-svid')
  .description('validate an X.509-SVID chain against a trust bundle (PEM or DER): exit 0 and the SPIFFE ID, or exit 1 and the rule broken')
  .requiredOption('--bundle <file>', "the trust domain's bundle (root certificates)")
  .requiredOption('--chain <file>', 'the SVID: leaf first, then intermediates')
  .option('--trust-domain <td>', "the bundle's trust domain (default: the leaf's)")
  // Loaded when used: the X.509 library is not for every command.
  .action(async (flags) => (await import('./identity-verify-command.js')).identityVerifyCommand(flags));
configOptions(identity.command('init').description('create the embedded trust domain CA in the data directory (refused in production mode)'))
  .requiredOption('--trust-domain <td>', 'trust domain name, e.g. mesh.local')
  .option('--force', 'replace an existing CA (every SVID it issued stops verifying)')
  .action(async (flags) => (await import('./identity-init-command.js')).identityInitCommand(flags));
configOptions(identity.command('issue').description("issue an X.509-SVID from the embedded CA for another node (refused in production mode)"))
  .requiredOption('--spiffe-id <id>', 'e.g. spiffe://mesh.local/node/b')
  .requiredOption('--out <dir>', 'where to write svid.pem, svid-key.pem (0600) and bundle.pem')
  .option('--ttl <duration>', 'lifetime (default 1h)')
  .action(async (flags) => (await import('./identity-issue-command.js')).identityIssueCommand(flags));
identity
  .command('keygen')
  .description("create a node signing key (ML-DSA-65, 0600) to name in identity.nodeKeyFile; never replaces a file")
  .requiredOption('--out <file>', 'where to write the key')
  .action(async (flags) => (await import('./identity-keygen-command.js')).identityKeygenCommand(flags));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the problem; --help and --version end with code 0.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CONFIG;
  } else if (error instanceof UsageError || error instanceof SpiffeIdError || error instanceof EmbeddedCaError) {
    console.error(`x0tta6bl4: ${error instanceof SpiffeIdError ? `${error.name}: ` : ''}${error.message}`);
    process.exitCode = EXIT_CONFIG;
  } else if (error instanceof ConfigError) {
    console.error(`x0tta6bl4: invalid configuration: ${error.message}`);
    process.exitCode = EXIT_CONFIG;
  } else {
    console.error(`x0tta6bl4: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exitCode = EXIT_FATAL;
  }
}
