/** `x0tta6bl4 run [--config FILE] [--data-dir DIR] [--log-level LEVEL]` */
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { runNode } from './run-node.js';

export async function runCommand(flags: ConfigFlags): Promise<void> {
  await runNode({ config: configFromFlags(flags) });
}
