/**
 * What the node tells systemd, heard on a real unix datagram socket named by NOTIFY_SOCKET (as
 * systemd names its own): READY=1 once the tree is up, watchdog pings while it is healthy and none
 * while an actor is stuck, STOPPING=1 at shutdown; through a real node, and on its own against
 * trees the test sets.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startSystemdReporting } from '../../../../../actors/runtime/ops/systemd/systemd-reporting.js';
import type { ActorState, TreeNodeStatus } from '../../../../../actors/runtime/ops/node-status.js';
import { COUNTER_ACTOR } from '../../../../fixtures/fixture-paths.js';
import { startTestNode } from '../../../../helpers/test-node.js';
import { until } from '../../../../helpers/wait.js';
import { listenForNotifications } from '../../../../helpers/notify-socket.js';

const SYSTEMD_ENV = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;
const savedEnv = Object.fromEntries(SYSTEMD_ENV.map((name) => [name, process.env[name]]));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const name of SYSTEMD_ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

/** A socket standing in for systemd's: NOTIFY_SOCKET names it, and every datagram is kept. */
function systemdSocket(): string[] {
  const socket = listenForNotifications();
  cleanups.push(() => socket.close());
  process.env['NOTIFY_SOCKET'] = socket.path;
  return socket.messages;
}

function capturedLog() {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

const mailbox = { depth: 0, inflight: 0, capacity: 10, dropped: 0, rejected: 0, blocked: 0, accepted: 0, processed: 0 };
const treeWith = (state: ActorState): TreeNodeStatus => ({
  kind: 'supervisor',
  id: 'root',
  strategy: 'one_for_one',
  restarts: 0,
  children: [{ kind: 'actor', id: 'a', host: 'worker', state, machineState: 'idle', restarts: 0, mailbox }],
});

describe('systemd reporting', () => {
  it('tells a node ready once its tree is up and stopping when it stops', async () => {
    const messages = systemdSocket();
    const node = await startTestNode({
      children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR, host: 'inline' }],
      ops: { systemd: true },
    });
    cleanups.push(() => node.cleanup());
    await until('READY=1', () => messages.length > 0, 5_000, 5);
    expect(messages[0]).toBe('READY=1\nSTATUS=1/1 actors running');
    await node.node.stop();
    await until('STOPPING=1', () => messages.some((message) => message.startsWith('STOPPING=1')), 5_000, 5);
    expect(messages.at(-1)).toBe('STOPPING=1\nSTATUS=stopping');
  });

  it('pings the watchdog at half its interval while the tree is healthy, withholds the ping while an actor is stuck, and stops at shutdown', async () => {
    const messages = systemdSocket();
    // A 200 ms watchdog: pings every 100 ms, and an actor away from `running` for over 200 ms is stuck.
    process.env['WATCHDOG_USEC'] = '200000';
    process.env['WATCHDOG_PID'] = String(process.pid);
    const { log, lines } = capturedLog();
    let tree = treeWith('running');
    const reporting = startSystemdReporting({ log, phase: () => 'running', tree: () => tree, summary: () => 'all good' });
    cleanups.push(() => reporting.close());
    reporting.started();
    expect(lines.some((line) => line.msg === 'systemd watchdog enabled' && line['watchdogMs'] === 200)).toBe(true);
    await until('two watchdog pings', () => messages.filter((message) => message.startsWith('WATCHDOG=1')).length >= 2, 5_000, 5);
    expect(messages[0]).toBe('READY=1\nSTATUS=all good');
    expect(messages[1]).toBe('WATCHDOG=1\nSTATUS=all good');

    tree = treeWith('restarting');
    await until('the stuck verdict', () => messages.some((message) => message.startsWith('STATUS=unhealthy')), 5_000, 5);
    const stuckAt = messages.findIndex((message) => message.startsWith('STATUS=unhealthy'));
    expect(messages[stuckAt]).toMatch(/^STATUS=unhealthy, stuck: a restarting for \d+ s$/);
    await until('three unhealthy checks', () => messages.filter((message) => message.startsWith('STATUS=unhealthy')).length >= 3, 5_000, 5);
    expect(messages.slice(stuckAt).some((message) => message.startsWith('WATCHDOG=1'))).toBe(false);

    tree = treeWith('running');
    const healedAt = messages.length;
    await until('pings again', () => messages.slice(healedAt).some((message) => message.startsWith('WATCHDOG=1')), 5_000, 5);
    // The log says why once per change of reason (the time stuck is in whole seconds), not at every check.
    const reasons = messages.filter((message) => message.startsWith('STATUS=unhealthy, ')).map((message) => message.slice('STATUS=unhealthy, '.length));
    const changes = reasons.filter((reason, index) => reason !== reasons[index - 1]);
    expect(lines.filter((line) => line.msg.startsWith('the tree is stuck')).map((line) => line['reason'])).toEqual(changes);

    reporting.stopping();
    await until('STOPPING=1', () => messages.includes('STOPPING=1\nSTATUS=stopping'), 5_000, 5);
    const stoppedAt = messages.indexOf('STOPPING=1\nSTATUS=stopping');
    // A second reporter on the same interval: once it has pinged twice, the stopped one would have pinged too.
    const sentinel = startSystemdReporting({ log, phase: () => 'running', tree: () => tree, summary: () => 'sentinel' });
    cleanups.push(() => sentinel.close());
    sentinel.started();
    await until('two sentinel pings', () => messages.filter((message) => message === 'WATCHDOG=1\nSTATUS=sentinel').length >= 2, 5_000, 5);
    expect(messages.slice(stoppedAt + 1).every((message) => message.endsWith('STATUS=sentinel'))).toBe(true);
  });

  it('sends READY=1 and STOPPING=1 only when systemd asks for no watchdog', async () => {
    const messages = systemdSocket();
    delete process.env['WATCHDOG_USEC'];
    const { log, lines } = capturedLog();
    const reporting = startSystemdReporting({ log, phase: () => 'running', tree: () => treeWith('running'), summary: () => 'x' });
    cleanups.push(() => reporting.close());
    reporting.started();
    reporting.stopping();
    await until('both datagrams', () => messages.length === 2, 5_000, 5);
    expect(messages).toEqual(['READY=1\nSTATUS=x', 'STOPPING=1\nSTATUS=stopping']);
    expect(lines.some((line) => line.msg === 'systemd watchdog enabled')).toBe(false);
  });

  it('says why notification is off for a socket it cannot address', () => {
    process.env['NOTIFY_SOCKET'] = '@/org/freedesktop/systemd1/notify';
    process.env['WATCHDOG_USEC'] = '200000';
    const { log, lines } = capturedLog();
    const reporting = startSystemdReporting({ log, phase: () => 'running', tree: () => treeWith('running'), summary: () => 'x' });
    cleanups.push(() => reporting.close());
    reporting.started();
    expect(lines.find((line) => line.msg === 'systemd notification is off')?.['reason']).toContain('abstract socket');
    // Nothing to ping through: no watchdog either.
    expect(lines.some((line) => line.msg === 'systemd watchdog enabled')).toBe(false);
  });
});
