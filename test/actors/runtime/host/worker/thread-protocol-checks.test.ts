/** The thread protocol's checks: the compiled source a worker runs and the host's validators agree, and refuse what is malformed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadProtocolChecks } from '../../../../../actors/runtime/host/worker/thread-protocol-checks.js';
import { protocolCheckSources, workerToHost, startResult } from '../../../../../actors/runtime/host/thread-protocol-validation.js';

const checks = loadProtocolChecks(protocolCheckSources());
const envelope = { seq: 1, topic: 't', payload: { n: 1 }, from: 'node', sentAt: 1 };

describe('worker-side checks (compiled source)', () => {
  it('accept well-formed host messages', () => {
    expect(checks.hostToWorker({ kind: 'deliver', batch: [envelope, { ...envelope, seq: 2, requestId: 'r1' }] })).toBe(true);
    expect(checks.hostToWorker({ kind: 'ping', id: 3 })).toBe(true);
    expect(checks.hostToWorker({ kind: 'pause', paused: false })).toBe(true);
    expect(checks.faultKind('hang')).toBe(true);
  });

  it.each([
    ['unknown kind', { kind: 'explode' }],
    ['empty batch', { kind: 'deliver', batch: [] }],
    ['negative seq', { kind: 'deliver', batch: [{ ...envelope, seq: -1 }] }],
    ['fractional seq', { kind: 'deliver', batch: [{ ...envelope, seq: 1.5 }] }],
    ['empty topic', { kind: 'deliver', batch: [{ ...envelope, topic: '' }] }],
    ['missing payload', { kind: 'deliver', batch: [{ seq: 1, topic: 't', from: 'x', sentAt: 1 }] }],
    ['empty request id', { kind: 'deliver', batch: [{ ...envelope, requestId: '' }] }],
    ['NaN time', { kind: 'deliver', batch: [{ ...envelope, sentAt: Number.NaN }] }],
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
