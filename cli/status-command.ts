/** `x0tta6bl4 status [--json]`: asks the running node over its control socket. */
import { nodeStatusSchema } from '../actors/runtime/index.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl } from './control-client.js';
import { formatStatus } from './format-status.js';

export async function statusCommand(flags: ConfigFlags & { json?: boolean }): Promise<void> {
  const config = configFromFlags(flags);
  const status = nodeStatusSchema.parse(await callControl(config.controlSocket, 'status'));
  process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
}
