/**
 * `x0tta6bl4 chaos`: a command used wrongly is refused in this process with a UsageError that names
 * the problem, before any control call: an unknown kind; a mesh fault without a SPIFFE ID for --peer,
 * or with --target; --share out of (0, 1] or on anything but lossy-link; kill-peer and freeze-peer
 * without a --pid, a --pid on a link fault, and a --pid or --for that is not a positive integer.
 * Each case runs with a data directory where no node listens, and the last test shows that the same
 * flags made right do get past the checks and reach for the control socket: the refusals come from
 * the checks, not from the missing node. Signals are never sent: no case gets that far.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHAOS_KINDS, chaosCommand, type ChaosFlags } from '../../cli/chaos-command.js';
import { ControlError } from '../../cli/control-error.js';
import { UsageError } from '../../cli/usage-error.js';
import { MESH_CHAOS_KINDS } from '../../lib/mesh/mesh-remedy.js';
import { capturingOutput } from '../helpers/captured-output.js';
import { useTempDir } from '../store/fixtures/temp-dir.js';

const PEER = 'spiffe://mesh.test/node/b';
const LINK_KINDS = ['cut-link', 'lossy-link', 'heal-link'] as const;
const PROCESS_KINDS = ['kill-peer', 'freeze-peer'] as const;

const dataDir = useTempDir();

// The node's environment would choose the control socket (and a config file) over the data
// directory: cleared, so that no case could ever reach a node running on this machine.
const savedEnv: Record<string, string | undefined> = {};
beforeEach(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('X0TTA6BL4_')) {
      savedEnv[name] = process.env[name];
      delete process.env[name];
    }
  }
});
afterEach(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    process.env[name] = value;
    delete savedEnv[name];
  }
});

/** Runs the command, expecting a UsageError matching `message`, and nothing printed. */
async function refused(kind: string, flags: ChaosFlags, message: RegExp): Promise<void> {
  let thrown: unknown;
  const run = await capturingOutput(async () => {
    try {
      await chaosCommand(kind, { dataDir: dataDir(), ...flags });
    } catch (error) {
      thrown = error;
    }
  });
  expect(thrown, `${kind} ${JSON.stringify(flags)}`).toBeInstanceOf(UsageError);
  expect((thrown as Error).message).toMatch(message);
  expect(run.stdout).toBe('');
}

describe('x0tta6bl4 chaos: usage errors', () => {
  it('refuses an unknown kind, listing the kinds it takes', async () => {
    await refused('meltdown', { target: 'planner' }, /^unknown fault kind 'meltdown' \(/);
    await refused('meltdown', {}, new RegExp(CHAOS_KINDS.join(', ')));
    // Kinds are matched exactly.
    await refused('Cut-Link', { peer: PEER }, /unknown fault kind 'Cut-Link'/);
  });

  it.each(MESH_CHAOS_KINDS)('refuses %s without --peer, or with a --peer that is not a SPIFFE ID', async (kind) => {
    const pid = (PROCESS_KINDS as readonly string[]).includes(kind) ? { pid: '4242' } : {};
    await refused(kind, { ...pid }, new RegExp(`^${kind} needs --peer <spiffe-id>`));
    for (const peer of ['node-b', 'https://mesh.test/node/b', '', ' spiffe://mesh.test/node/b']) await refused(kind, { peer, ...pid }, /needs --peer <spiffe-id>/);
  });

  it.each(MESH_CHAOS_KINDS)('refuses --target on %s, even with a good --peer', async (kind) => {
    await refused(kind, { peer: PEER, target: 'peer-link' }, new RegExp(`^${kind} takes --peer, not --target$`));
  });

  it('refuses a --share outside (0, 1] on lossy-link', async () => {
    // Decimals only: what Number() would also read (1e-1, 0x1, ' 0.5') is refused, as a typo would be.
    for (const share of ['0', '-0.1', '1.01', '2', 'abc', '', 'NaN', 'Infinity', '1e-1', '0x1', ' 0.5']) await refused('lossy-link', { peer: PEER, share }, new RegExp(`^--share must be a decimal in \\(0, 1\\], not '${share}'$`));
  });

  it('refuses --share on any kind but lossy-link, even a share that lossy-link would take', async () => {
    for (const kind of ['cut-link', 'heal-link'] as const) await refused(kind, { peer: PEER, share: '0.5' }, /^--share is for lossy-link only$/);
    for (const kind of PROCESS_KINDS) await refused(kind, { peer: PEER, share: '0.5', pid: '4242' }, /^--share is for lossy-link only$/);
  });

  it.each(PROCESS_KINDS)('refuses %s without --pid, or with a --pid that is not a positive integer', async (kind) => {
    await refused(kind, { peer: PEER }, new RegExp(`^${kind} needs --pid <pid>`));
    for (const pid of ['0', '-1', '12.5', 'abc', '', '0x10', '1e3', ' 5', '4194305']) await refused(kind, { peer: PEER, pid }, new RegExp(`^--pid must be a whole number from 1 to 4194304, not '${pid}'$`));
  });

  it.each(LINK_KINDS)('refuses --pid on %s, a link fault', async (kind) => {
    await refused(kind, { peer: PEER, pid: '4242' }, /^--pid is for kill-peer and freeze-peer only$/);
  });

  it('refuses a --for that is not a whole number of ms up to an hour, and --for on kill-peer', async () => {
    // Above 2^31 - 1 ms a timer fires at once: freeze-peer would resume its peer straight away. An hour bounds every fault.
    for (const ms of ['1.5', 'abc', '0', '-100', '', '9007199254740993', '0x10', '1e3', ' 5', '3600001']) {
      await refused('cut-link', { peer: PEER, for: ms }, new RegExp(`^--for must be a whole number from 1 to 3600000, not '${ms.replace(/[.+]/g, '\\$&')}'$`));
    }
    await refused('freeze-peer', { peer: PEER, pid: '4242', for: '2.5' }, /^--for must be a whole number from 1 to 3600000, not '2\.5'$/);
    await refused('kill-peer', { peer: PEER, pid: '4242', for: '1000' }, /^--for is for link faults and freeze-peer; a killed peer stays dead$/);
  });

  it.each(PROCESS_KINDS)('refuses %s of a pid that names no process, before anything is recorded', async (kind) => {
    // A child that has exited: its pid names no process any more (nothing else can have taken it in the few ms since).
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    await refused(kind, { peer: PEER, pid: String(child.pid) }, new RegExp(`^no process ${child.pid}$`));
  });

  it('gets past every check with the flags made right, and only then reaches for the control socket', async () => {
    const socket = join(dataDir(), 'control.sock');
    for (const [kind, flags] of [
      ['cut-link', { peer: PEER, for: '1000' }],
      ['lossy-link', { peer: PEER, share: '0.5', for: '1000' }],
      ['lossy-link', { peer: PEER, share: '1' }],
      ['heal-link', { peer: PEER }],
    ] as const) {
      const failure = await chaosCommand(kind, { dataDir: dataDir(), ...flags }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure, `${kind} ${JSON.stringify(flags)}`).toBeInstanceOf(ControlError);
      expect(failure).toMatchObject({ reason: 'not_running', socketPath: socket });
    }
  });
});
