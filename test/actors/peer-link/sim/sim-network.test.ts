/**
 * The simulated network's dials, against what real sockets do: a dial to a frozen process waits in
 * the far kernel and completes once the process resumes (before the dialer's deadline), or times
 * out; a dial to a process that ended, or ends before it reads the dial, is refused; a dial over a
 * cut wire times out.
 */
import { describe, expect, it } from 'vitest';
import { HANDSHAKE_ROUND_TRIPS, SimNetwork, type SimConnection, type SimConnectionEnd, type SimHost } from '../../../../actors/peer-link/sim/sim-network.js';
import { ProcessClock } from '../../../../lib/sim/process-clock.js';
import { SimScheduler } from '../../../../lib/sim/sim-scheduler.js';
import { seededRandom } from '../../../../lib/timing/seeded-random.js';

const LATENCY_MS = 5;
const DIAL_TIMEOUT_MS = 10_000;
const HANDSHAKE_MS = HANDSHAKE_ROUND_TRIPS * 2 * LATENCY_MS;

function quietEnd(peer: string): SimConnectionEnd {
  return { peer, onMessage: () => undefined, onClose: () => undefined };
}

function setUp() {
  const scheduler = new SimScheduler();
  const network = new SimNetwork({ scheduler, random: seededRandom(1), jitterMs: 0, dialTimeoutMs: DIAL_TIMEOUT_MS });
  const host = (id: string): SimHost & { accepted: string[] } => {
    const accepted: string[] = [];
    const made = { id, clock: new ProcessClock(scheduler), accepted, accept: (peer: string) => (accepted.push(peer), quietEnd(peer)) };
    network.attach(made);
    return made;
  };
  const a = host('a');
  const b = host('b');
  network.addWire('a', 'b', LATENCY_MS);
  const dial = () => {
    const result: { value?: SimConnection | 'refused' | 'timeout'; at?: number } = {};
    network.dial(a, 'b', () => quietEnd('b'), (value) => {
      result.value = value;
      result.at = scheduler.now;
    });
    return result;
  };
  return { scheduler, network, a, b, dial };
}

describe('SimNetwork.dial', () => {
  it('connects after the handshake\'s round trips to a running process', async () => {
    const { scheduler, b, dial } = setUp();
    const result = dial();
    await scheduler.runUntil(DIAL_TIMEOUT_MS * 2);
    expect(typeof result.value).toBe('object');
    expect(result.at).toBe(HANDSHAKE_MS);
    expect(b.accepted).toEqual(['a']);
  });

  it('completes a dial to a frozen process once it resumes, before the deadline', async () => {
    const { scheduler, b, dial } = setUp();
    b.clock.freeze();
    const result = dial();
    await scheduler.runUntil(2_000);
    expect(result.value).toBeUndefined();
    b.clock.resume();
    await scheduler.runUntil(DIAL_TIMEOUT_MS * 2);
    expect(typeof result.value).toBe('object');
    // The ClientHello waited in b's kernel; the rest of the handshake runs after the resume.
    expect(result.at).toBe(2_000 + HANDSHAKE_MS - LATENCY_MS);
    expect(b.accepted).toEqual(['a']);
  });

  it('completes a dial whose far process froze in the middle of the handshake once it resumes', async () => {
    const { scheduler, b, dial } = setUp();
    const result = dial();
    // b has read the ClientHello (one latency) and freezes before the handshake ends.
    await scheduler.runUntil(LATENCY_MS + 1);
    b.clock.freeze();
    await scheduler.runUntil(3_000);
    expect(result.value).toBeUndefined();
    b.clock.resume();
    await scheduler.runUntil(DIAL_TIMEOUT_MS * 2);
    expect(typeof result.value).toBe('object');
    // Its answer to the last flight goes out at the resume and takes one latency.
    expect(result.at).toBe(3_000 + LATENCY_MS);
    expect(b.accepted).toEqual(['a']);
  });

  it('times a dial out when the frozen process resumes only after the deadline, and connects nothing', async () => {
    const { scheduler, b, dial } = setUp();
    b.clock.freeze();
    const result = dial();
    await scheduler.runUntil(DIAL_TIMEOUT_MS + 1_000);
    expect(result).toEqual({ value: 'timeout', at: DIAL_TIMEOUT_MS });
    b.clock.resume();
    await scheduler.runUntil(DIAL_TIMEOUT_MS * 3);
    expect(result.value).toBe('timeout');
    expect(b.accepted).toEqual([]);
  });

  it('is refused one round trip after the far process ended, also when it ends with the dial under way', async () => {
    const gone = setUp();
    gone.b.clock.end();
    gone.network.processEnded('b');
    const refused = gone.dial();
    await gone.scheduler.runUntil(DIAL_TIMEOUT_MS * 2);
    expect(refused).toEqual({ value: 'refused', at: 2 * LATENCY_MS });

    const frozenThenKilled = setUp();
    frozenThenKilled.b.clock.freeze();
    const result = frozenThenKilled.dial();
    await frozenThenKilled.scheduler.runUntil(1_000);
    frozenThenKilled.b.clock.end();
    frozenThenKilled.network.processEnded('b');
    await frozenThenKilled.scheduler.runUntil(DIAL_TIMEOUT_MS * 2);
    // Its kernel resets the connection that waited for the handshake; the dialer learns it one latency later.
    expect(result).toEqual({ value: 'refused', at: 1_000 + LATENCY_MS });
  });

  it('times out over a cut wire', async () => {
    const { scheduler, network, b, dial } = setUp();
    network.setCut('a', 'b', true);
    const result = dial();
    await scheduler.runUntil(DIAL_TIMEOUT_MS * 2);
    expect(result).toEqual({ value: 'timeout', at: DIAL_TIMEOUT_MS });
    expect(b.accepted).toEqual([]);
  });
});
