/** The thread protocol's checks: the compiled source a worker runs and the host's validators agree, and refuse what is malformed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadProtocolChecks } from '../../../../../actors/runtime/host/worker/thread-protocol-checks.js';
import { protocolCheckSources, workerToHost, startResult } from '../../../../../actors/runtime/host/thread-protocol-validation.js';

const checks = loadProtocolChecks(protocolCheckSources());
const deliver = { kind: 'deliver', payload: [{ n: 1 }, null], seq: [1, 3], topics: ['t', 'u'], topic: [0, 1], senders: ['node'], from: [0, 0] };

describe('worker-side checks (compiled source)', () => {
  it('accept well-formed host messages', () => {
    expect(checks.hostToWorker(deliver)).toBe(true);
    expect(checks.hostToWorker({ ...deliver, requests: [[1, 'r1']] })).toBe(true);
    expect(checks.hostToWorker({ kind: 'deliver', payload: [1], seq: 5, topics: ['t'], senders: ['node'] })).toBe(true);
    expect(checks.hostToWorker({ kind: 'ping', id: 3 })).toBe(true);
    expect(checks.hostToWorker({ kind: 'pause', paused: false })).toBe(true);
    expect(checks.faultKind('hang')).toBe(true);
  });

  it.each([
    ['unknown kind', { kind: 'explode' }],
    ['empty batch', { ...deliver, payload: [] }],
    ['negative first seq', { ...deliver, seq: -1 }],
    ['negative seq', { ...deliver, seq: [-1, 2] }],
    ['fractional seq', { ...deliver, seq: [1.5, 2] }],
    ['empty topic', { ...deliver, topics: [''] }],
    ['no topic table', { ...deliver, topics: [] }],
    ['negative topic index', { ...deliver, topic: [0, -1] }],
    ['fractional sender index', { ...deliver, from: [0, 0.5] }],
    ['missing payloads', { kind: 'deliver', seq: 1, topics: ['t'], senders: ['x'] }],
    ['missing sequences', { kind: 'deliver', payload: [1], topics: ['t'], senders: ['x'] }],
    ['empty request id', { ...deliver, requests: [[0, '']] }],
    ['request without its message index', { ...deliver, requests: [['r1']] }],
    ['ping without id', { kind: 'ping' }],
    ['not an object', 'deliver'],
    ['null', null],
  ])('refuse %s', (_name, message) => {
    expect(checks.hostToWorker(message)).toBe(false);
  });

  it('refuse a fault kind that does not exist and a start without an actor id', () => {
    expect(checks.faultKind('melt')).toBe(false);
    expect(checks.startActor({ actorId: '', module: 'm', options: {}, databasePath: 'd', runId: 'r', throttleMs: 0 })).toBe(false);
  });

  it('never accept arbitrary values that are not protocol messages', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const accepted = checks.hostToWorker(value);
        if (accepted) expect(['deliver', 'ping', 'pause']).toContain((value as { kind: string }).kind);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('host-side validators', () => {
  it('name what is wrong in a malformed worker message', () => {
    const result = workerToHost.parse({ kind: 'out', batch: [{ kind: 'publish', topic: 42, payload: null }] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail).toContain('/batch/0');
    expect(workerToHost.parse({ kind: 'out', batch: [{ kind: 'reply', requestId: 'r', payload: 1 }], ack: 4 }).ok).toBe(true);
  });

  it('throw a TypeError for a control result that does not match', () => {
    expect(() => startResult.expect({ restoredSeq: -1 }, 'start result')).toThrow(TypeError);
  });
});
