/**
 * `x0tta6bl4 chaos <kind>`: injects a fault into the running node for its self-healing loop to find
 * and remedy (refused in production mode).
 * - an actor's fault (crash-loop, hung-actor, …) with `--target ACTOR`;
 * - a link fault with `--peer SPIFFE-ID`: cut-link, lossy-link (`--share`), heal-link, for `--for MS`;
 * - a peer's process fault with `--peer SPIFFE-ID --pid PID`: kill-peer (SIGKILL) or freeze-peer
 *   (SIGSTOP, then SIGCONT after `--for MS`), recorded in this node first, so the incident it opens
 *   carries the fault's start. The process is signalled by this command, as its owner would.
 */
import { z } from 'zod';
import { LOCAL_CAUSE_KINDS, type LocalCauseKind } from '../lib/mape/causes.js';
import { MAX_LINK_FAULT_MS, MESH_CHAOS_KINDS, type MeshChaosKind } from '../lib/mesh/mesh-remedy.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl } from './control-client.js';
import { UsageError } from './usage-error.js';

const injectedSchema = z.object({ faultId: z.number(), kind: z.string(), target: z.string(), startedAt: z.number() });
const meshInjectedSchema = z.object({ faultId: z.number().nullable(), detail: z.string() });

/** Every kind `chaos` takes: an actor's, a link's, a peer process's. */
export const CHAOS_KINDS = [...LOCAL_CAUSE_KINDS, ...MESH_CHAOS_KINDS] as const;

/** How long a frozen peer stays frozen by default: long enough to be held dead (about a second), short enough to watch it rejoin. */
const DEFAULT_FREEZE_MS = 10_000;

export interface ChaosFlags extends ConfigFlags {
  target?: string;
  peer?: string;
  pid?: string;
  share?: string;
  for?: string;
  json?: boolean;
}

export async function chaosCommand(kind: string, flags: ChaosFlags): Promise<void> {
  if ((LOCAL_CAUSE_KINDS as readonly string[]).includes(kind)) return actorChaos(kind as LocalCauseKind, flags);
  if ((MESH_CHAOS_KINDS as readonly string[]).includes(kind)) return meshChaos(kind as MeshChaosKind, flags);
  throw new UsageError(`unknown fault kind '${kind}' (${CHAOS_KINDS.join(', ')})`);
}

async function actorChaos(kind: LocalCauseKind, flags: ChaosFlags): Promise<void> {
  const config = configFromFlags(flags);
  const injected = injectedSchema.parse(await callControl(config.controlSocket, 'chaos', { kind, ...(flags.target !== undefined ? { target: flags.target } : {}) }));
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(injected)}\n`
      : `injected ${injected.kind} into '${injected.target}' at ${new Date(injected.startedAt).toISOString()} (fault #${injected.faultId}); follow it with: x0tta6bl4 incidents\n`,
  );
}

async function meshChaos(kind: MeshChaosKind, flags: ChaosFlags): Promise<void> {
  if (flags.target !== undefined) throw new UsageError(`${kind} takes --peer, not --target`);
  const peer = flags.peer;
  if (peer === undefined || !peer.startsWith('spiffe://')) throw new UsageError(`${kind} needs --peer <spiffe-id> (the peer at the far end)`);
  const durationMs = optionalPositiveInt('--for', flags.for, MAX_LINK_FAULT_MS);
  if (durationMs !== undefined && kind === 'kill-peer') throw new UsageError('--for is for link faults and freeze-peer; a killed peer stays dead');
  const share = flags.share === undefined ? undefined : /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(flags.share) ? Number(flags.share) : Number.NaN;
  if (share !== undefined && !(share > 0 && share <= 1)) throw new UsageError(`--share must be a decimal in (0, 1], not '${flags.share}'`);
  if (share !== undefined && kind !== 'lossy-link') throw new UsageError('--share is for lossy-link only');
  const processFault = kind === 'kill-peer' || kind === 'freeze-peer';
  const pid = optionalPositiveInt('--pid', flags.pid, MAX_PID);
  if (processFault && pid === undefined) throw new UsageError(`${kind} needs --pid <pid> (the peer node's process)`);
  if (!processFault && pid !== undefined) throw new UsageError(`--pid is for kill-peer and freeze-peer only`);
  if (processFault) assertProcessExists(pid!);
  const config = configFromFlags(flags);
  const startedAt = Date.now();
  const request = { kind, peer, ...(share !== undefined ? { share } : {}), ...(durationMs !== undefined && !processFault ? { durationMs } : {}), ...(processFault ? { startedAt } : {}) };
  // Recorded before the signal: the incident the fault causes finds its start already there.
  const injected = meshInjectedSchema.parse(await callControl(config.controlSocket, 'chaos.mesh', request));
  const fault = injected.faultId === null ? '' : ` (fault #${injected.faultId})`;
  if (kind === 'freeze-peer') return freeze(pid!, peer, durationMs ?? DEFAULT_FREEZE_MS, flags.json === true, `${kind} ${peer}: ${injected.detail}${fault}`);
  if (kind === 'kill-peer') process.kill(pid!, 'SIGKILL');
  process.stdout.write(flags.json ? `${JSON.stringify({ kind, peer, ...injected })}\n` : `${kind} ${peer}: ${injected.detail}${fault}; follow it with: x0tta6bl4 incidents\n`);
}

/** SIGSTOP, then SIGCONT after `ms`, or at once when this command is interrupted: a peer is never left frozen by it. */
async function freeze(pid: number, peer: string, ms: number, json: boolean, said: string): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const resume = () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone meanwhile: nothing left to resume.
    }
  };
  const interrupted = () => {
    resume();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    process.stdout.write(json ? `${JSON.stringify({ kind: 'freeze-peer', peer, pid, frozenMs: ms })}\n` : `${said}; resumed in ${ms} ms\n`);
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    resume();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  if (!json) process.stdout.write(`resumed ${peer} after ${ms} ms\n`);
}

/** A pid that names no process is a usage error, found before anything is recorded. */
function assertProcessExists(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new UsageError(`no process ${pid}`);
    throw error;
  }
}

/** Linux's pid_max ceiling (2^22). */
const MAX_PID = 4_194_304;

/** Decimal digits only (no 0x10, 1e3 or spaces), from 1 to `most`. */
function optionalPositiveInt(flag: string, value: string | undefined, most: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 1 && parsed <= most)) throw new UsageError(`${flag} must be a whole number from 1 to ${most}, not '${value}'`);
  return parsed;
}
