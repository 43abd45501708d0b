/**
 * The latest state of a subsystem (a topic declared `latestState`) is kept by the runtime and is
 * what status, /ready and /metrics show, all through node.latestState(); other topics are not
 * kept, a payload that breaks the topic's schema never reaches it, and only the standing's own
 * actor can set its state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { startTestNode, type TestNode } from '../../../helpers/test-node.js';
import { defineTopics } from '../../../../actors/runtime/bus/topic-registry.js';
import { nodeTopics } from '../../../../actors/runtime/bus/node-topics.js';
import { checkStandingTopics } from '../../../../actors/runtime/ops/standings.js';
import type { IdentityStatus } from '../../../../actors/runtime/ops/node-status.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

const waiting: IdentityStatus = { status: 'waiting', mode: 'agent', endpoint: 'unix:///run/spire/agent.sock', reason: 'Unavailable: no agent', updates: 0, rejected: 0 };
const ready: IdentityStatus = { status: 'ready', mode: 'embedded', endpoint: 'embedded', spiffeId: 'spiffe://t/node/a', trustDomain: 't', expiresAt: 1_900_000_000_000, updates: 2, rejected: 0 };

async function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${address}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('latest states', () => {
  it('keeps the latest payload of a declared topic, which status, /ready and /metrics all show', async () => {
    // A test actor named like the identity actor, so its standing counts for readiness.
    running = await startTestNode({
      children: [{ kind: 'actor', id: 'identity', module: COUNTER_ACTOR }],
      ops: { metrics: { listen: '127.0.0.1:0' } },
    });
    const { node } = running;
    const address = node.metricsAddress!;
    expect(node.latestState('identity.state')).toBeUndefined();
    expect((await node.status()).identity).toBeUndefined();
    expect(await get(address, '/ready')).toEqual({ status: 503, body: 'no SVID yet: identity is connecting\n' });
    expect((await get(address, '/metrics')).body).not.toMatch(/^x0tta6bl4_identity_ready /m);

    await node.publishAs('identity', 'identity.state', waiting);
    expect(node.latestState('identity.state')).toEqual(waiting);
    expect((await node.status()).identity).toEqual(waiting);
    expect(await get(address, '/ready')).toEqual({ status: 503, body: 'no SVID yet: identity is waiting (Unavailable: no agent)\n' });
    expect((await get(address, '/metrics')).body).toMatch(/^x0tta6bl4_identity_ready 0$/m);

    await node.publishAs('identity', 'identity.state', ready);
    expect(node.latestState('identity.state')).toEqual(ready);
    expect((await node.status()).identity).toEqual(ready);
    expect(await get(address, '/ready')).toEqual({ status: 200, body: 'ready: 1 actors running, spiffe://t/node/a\n' });
    const metrics = (await get(address, '/metrics')).body;
    expect(metrics).toMatch(/^x0tta6bl4_identity_ready 1$/m);
    expect(metrics).toMatch(/^x0tta6bl4_svid_updates_total 2$/m);
    expect(metrics).toMatch(/^x0tta6bl4_svid_expiry_timestamp_seconds 1900000000$/m);
  });

  it("keeps a standing's state only from its own actor: another sender cannot make the node ready", async () => {
    running = await startTestNode({
      children: [{ kind: 'actor', id: 'identity', module: COUNTER_ACTOR }],
      ops: { metrics: { listen: '127.0.0.1:0' } },
    });
    const { node } = running;
    await node.publishAs('identity', 'identity.state', waiting);
    // The programmatic API and any other actor publish too, but are not the identity actor.
    await node.publish('identity.state', ready);
    await node.publishAs('mallory', 'identity.state', ready);
    expect(node.latestState('identity.state')).toEqual(waiting);
    expect((await get(node.metricsAddress!, '/ready')).status).toBe(503);
    await node.publishAs('identity', 'identity.state', ready);
    expect(node.latestState('identity.state')).toEqual(ready);
  });

  it('keeps nothing of a topic not declared as a latest state', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR }] });
    const { node } = running;
    await node.publishAs('a', 'test.processed', { sender: 's', n: 1, count: 1, actor: 'a' });
    expect(node.latestState('test.processed')).toBeUndefined();
    expect(node.latestState('no.such.topic')).toBeUndefined();
  });

  it('never keeps a payload the bus refused as malformed', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR }] });
    const { node } = running;
    await node.publishAs('identity', 'identity.state', waiting);
    await expect(node.publishAs('identity', 'identity.state', { ...waiting, status: 'confused' })).rejects.toMatchObject({ name: 'InvalidPayloadError' });
    await expect(node.publishAs('identity', 'identity.state', { ...waiting, extra: 1 })).rejects.toMatchObject({ name: 'InvalidPayloadError' });
    expect(node.latestState('identity.state')).toEqual(waiting);
    expect((await node.status()).identity).toEqual(waiting);
  });

  it('refuses a standing whose topic is not declared as a latest state', () => {
    expect(() => checkStandingTopics(nodeTopics)).not.toThrow();
    const plain = defineTopics({ 'identity.state': { schema: z.unknown(), overflow: 'drop-oldest', description: 'not a latest state' } });
    expect(() => checkStandingTopics(plain)).toThrow(/'identity.state', which is not declared with latestState: true/);
  });
});
