/**
 * The gate suite: what `npm test` judges the runtime's speed by (`npm run bench:check --
 * --quick-run`), within CI's time and on a loaded machine. Every figure is a ratio of two
 * measurements taken side by side, alternating round by round (perf/gate/paired-ratio.ts), the
 * median of the per-round ratios: the restart against a bare worker spawn, the bus against raw
 * postMessage, liboqs operations against a node:crypto X25519 agreement, the hybrid handshake
 * against its parts, the session channel against bare AES-256-GCM, SVID validation against one
 * ECDSA verification and the mTLS handshake against the unchecked one. An operation short enough
 * to fit in one time slice (a liboqs call, an X25519 agreement, a 64 KiB frame) is timed one call
 * at a time and a round takes its median call, one no other process interrupted; longer or
 * multi-threaded work (a handshake, an mTLS connection, a restart, a bus flood) is timed in CPU
 * time of the process, which another process taking the cores cannot stretch.
 */
import { loadavg } from 'node:os';
import { busGateFigures, type BusGateCounts } from '../gate/bus-ratios.js';
import { identityGateFigures, type IdentityGateCounts } from '../gate/identity-ratios.js';
import { pqcGateFigures, type PqcGateCounts } from '../gate/pqc-ratios.js';
import { restartGateFigures, type RestartGateCounts } from '../gate/restart-ratios.js';
import { progress, round, type Figure } from '../stats.js';
import type { Suite } from './suite.js';

const SUITE = 'gate';

export interface GateCounts {
  restart: RestartGateCounts;
  bus: BusGateCounts;
  pqc: PqcGateCounts;
  identity: IdentityGateCounts;
}

const QUICK: GateCounts = {
  restart: { rounds: 12, warmupRounds: 1 },
  bus: { rounds: 12, warmupRounds: 2, messages: 10_000, rawMessages: 50_000 },
  pqc: { rounds: 24, warmupRounds: 2, opsPerRound: 8, handshakesPerRound: 2, framesPerRound: 32 },
  identity: { rounds: 16, warmupRounds: 2, validationsPerRound: 8, handshakesPerRound: 3 },
};
const FULL: GateCounts = {
  restart: { rounds: 60, warmupRounds: 3 },
  bus: { rounds: 40, warmupRounds: 3, messages: 50_000, rawMessages: 200_000 },
  pqc: { rounds: 100, warmupRounds: 5, opsPerRound: 16, handshakesPerRound: 5, framesPerRound: 64 },
  identity: { rounds: 60, warmupRounds: 3, validationsPerRound: 16, handshakesPerRound: 5 },
};

/** Every gate figure measured with `counts`, each handed to `emit` as soon as its group is done. */
export async function gateFigures(counts: GateCounts, emit: (value: Figure) => void): Promise<void> {
  const started = performance.now();
  const say = (message: string) => progress(`${SUITE}: ${message} (${((performance.now() - started) / 1_000).toFixed(1)} s)`);
  const groups = [
    () => pqcGateFigures(SUITE, counts.pqc, say),
    () => identityGateFigures(SUITE, counts.identity, say),
    () => busGateFigures(SUITE, counts.bus, say),
    () => restartGateFigures(SUITE, counts.restart, say),
  ];
  for (const group of groups) for (const value of await group()) emit({ ...value, load1: round(loadavg()[0] ?? 0) });
}

export const gateSuite: Suite = {
  name: SUITE,
  description: 'the CI gate: restart, bus, pqc and identity as ratios to baselines measured in the same rounds',
  async run({ quick, sink }) {
    await gateFigures(quick ? QUICK : FULL, (value) => sink.emit(value));
  },
};
