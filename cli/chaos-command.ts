/** `x0tta6bl4 chaos <kind> [--target ACTOR]`: injects a fault into the running node (refused in production mode). */
import { z } from 'zod';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl } from './control-client.js';

const injectedSchema = z.object({ faultId: z.number(), kind: z.string(), target: z.string(), startedAt: z.number() });

export async function chaosCommand(kind: string, flags: ConfigFlags & { target?: string; json?: boolean }): Promise<void> {
  const config = configFromFlags(flags);
  const injected = injectedSchema.parse(
    await callControl(config.controlSocket, 'chaos', { kind, ...(flags.target !== undefined ? { target: flags.target } : {}) }),
  );
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(injected)}\n`
      : `injected ${injected.kind} into '${injected.target}' at ${new Date(injected.startedAt).toISOString()} (fault #${injected.faultId}); follow it with: x0tta6bl4 incidents\n`,
  );
}
