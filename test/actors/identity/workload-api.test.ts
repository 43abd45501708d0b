/**
 * The Workload API client against our server over a real unix socket (the stand-in for a SPIRE
 * agent, speaking the standard's proto): first SVID, rotation pushed mid-stream, reconnect after
 * a server restart, the security header, and PermissionDenied retried while status says why.
 */
import * as grpc from '@grpc/grpc-js';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Server as NetServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEmbeddedSvidSource, type EmbeddedSvidSource } from '../../../actors/identity/embedded-svid-source.js';
import { X509ContextWatcher, type WatcherState, type X509Context } from '../../../lib/spiffe/workload-api-client.js';
import { workloadApiClientConstructor, type X509SvidResponseMessage } from '../../../lib/spiffe/workload-api-proto.js';
import { startWorkloadApiServer, type WorkloadApiServer, type X509SvidSource } from '../../../actors/identity/workload-api-server.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { verifyX509Svid } from '../../../lib/spiffe/x509-svid.js';
import { waitFor } from '../../helpers/test-node.js';

const NODE_ID = parseSpiffeId('spiffe://mesh.test/node/a');
const FAST_RETRY = { minMs: 20, maxMs: 200, jitter: 0.2 };

let ca: TrustDomainCa;
beforeAll(async () => {
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
});

describe('Workload API client and server over a unix socket', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function socketPath(): string {
    const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-wl-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'agent.sock');
  }

  async function serve(path: string, source: X509SvidSource): Promise<WorkloadApiServer> {
    const server = await startWorkloadApiServer({ socketPath: path, source });
    cleanups.push(() => server.close());
    return server;
  }

  function watch(path: string): { updates: X509Context[]; states: WatcherState[]; watcher: X509ContextWatcher } {
    const updates: X509Context[] = [];
    const states: WatcherState[] = [];
    const watcher = new X509ContextWatcher({ address: { kind: 'unix', path }, onUpdate: (context) => updates.push(context), onState: (state) => states.push(state), backoff: FAST_RETRY });
    watcher.start();
    cleanups.push(() => watcher.stop());
    return { updates, states, watcher };
  }

  async function embedded(ttlMs?: number): Promise<EmbeddedSvidSource> {
    const source = await createEmbeddedSvidSource({ ca, spiffeId: NODE_ID, ...(ttlMs ? { ttlMs } : {}) });
    cleanups.push(() => source.stop());
    return source;
  }

  it('receives the first SVID, which verifies against the bundle it came with', async () => {
    const path = socketPath();
    await serve(path, await embedded());
    const { updates, watcher } = watch(path);
    const context = await waitFor(() => updates[0], 10_000, 'the first SVID');
    expect(context.svids.map((svid) => svid.spiffeId.id)).toEqual([NODE_ID.id]);
    expect(context.svids[0]!.privateKey.length).toBeGreaterThan(0);
    const verified = await verifyX509Svid(context.svids[0]!.chain, context.bundles);
    expect(verified.spiffeId.id).toBe(NODE_ID.id);
    expect(watcher.state.status).toBe('ready');
  });

  it('serves from a socket only its owner can use, in a directory only its owner can enter, and deletes nothing but a stale socket', async () => {
    const path = socketPath();
    // The socket hands out the node's private key: no other local user may connect.
    await serve(path, await embedded());
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(lstatSync(dirname(path)).mode & 0o777).toBe(0o700);
    // A file someone put where a socket should be is not the node's to delete.
    const other = socketPath();
    writeFileSync(other, 'precious');
    await expect(startWorkloadApiServer({ socketPath: other, source: await embedded() })).rejects.toThrow(/is not a socket/);
    expect(readFileSync(other, 'utf8')).toBe('precious');
    // Nor is a directory others can enter a place for it.
    const shared = socketPath();
    chmodSync(dirname(shared), 0o755);
    await expect(startWorkloadApiServer({ socketPath: shared, source: await embedded() })).rejects.toThrow(/others can enter it/);
  });

  it('keeps serving after its listening socket fails to accept (out of descriptors): the failure is reported, not thrown', async () => {
    const path = socketPath();
    // The listener is the server's own: caught as it starts listening, to fail it as an accept out
    // of descriptors does (libuv reports EMFILE on the listening handle when its reserve descriptor
    // is gone, which another thread of the process can take).
    const listen = vi.spyOn(NetServer.prototype, 'listen');
    const failures: Error[] = [];
    const server = await startWorkloadApiServer({ socketPath: path, source: await embedded(), onListenerError: (error) => failures.push(error) });
    cleanups.push(() => server.close());
    const listener = listen.mock.contexts.find((context) => (context as NetServer).address() === path) as NetServer;
    listen.mockRestore();
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    // Without a listener for the server's life, this emit throws: in the node, an uncaught exception.
    expect(() => listener.emit('error', emfile)).not.toThrow();
    expect(failures).toEqual([emfile]);
    const { updates } = watch(path);
    await waitFor(() => updates[0], 10_000, 'an SVID after the failure');
  });

  it('gets a rotated SVID pushed down the open stream at half its lifetime', async () => {
    const path = socketPath();
    await serve(path, await embedded(1_200));
    const { updates } = watch(path);
    await waitFor(() => (updates.length >= 2 ? true : undefined), 10_000, 'a rotation');
    const [first, second] = updates.map((update) => update.svids[0]!.chain[0]!);
    expect(second!.serialNumber).not.toBe(first!.serialNumber);
    // X.509 times have one-second resolution: a rotation 600 ms later may end in the same second.
    expect(second!.notAfter.getTime()).toBeGreaterThanOrEqual(first!.notAfter.getTime());
    expect(updates[1]!.svids[0]!.privateKey.equals(updates[0]!.svids[0]!.privateKey)).toBe(false);
  });

  it('reconnects after the server restarts, saying why it waits meanwhile', async () => {
    const path = socketPath();
    const source = await embedded();
    const server = await serve(path, source);
    const { updates, states } = watch(path);
    await waitFor(() => updates[0], 10_000, 'the first SVID');
    await server.close();
    await waitFor(() => states.find((state) => state.status === 'waiting'), 10_000, 'a waiting state');
    await serve(path, source);
    await waitFor(() => (updates.length >= 2 ? true : undefined), 10_000, 'an SVID after the restart');
    const waiting = states.find((state) => state.status === 'waiting') as Extract<WatcherState, { status: 'waiting' }>;
    expect(waiting.reason).toMatch(/UNAVAILABLE|ended the stream/);
  });

  it('streams bundles by trust-domain ID', async () => {
    const path = socketPath();
    await serve(path, await embedded());
    const Client = workloadApiClientConstructor();
    const client = new Client(`unix:${path}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const metadata = new grpc.Metadata();
    metadata.set('workload.spiffe.io', 'true');
    const api = client as unknown as {
      FetchX509Bundles(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<{ bundles: Record<string, Buffer> }>;
    };
    const bundles = api.FetchX509Bundles({}, metadata);
    const first = await new Promise<{ bundles: Record<string, Buffer> }>((resolve) => bundles.once('data', resolve));
    // Cancelling ends the stream with CANCELLED, which is the expected end here.
    bundles.on('error', () => undefined);
    bundles.cancel();
    expect(Object.keys(first.bundles)).toEqual(['spiffe://mesh.test']);
    expect(first.bundles['spiffe://mesh.test']!.equals(Buffer.from(ca.certificate.rawData))).toBe(true);
  });

  it('answers a call without the security header with InvalidArgument', async () => {
    const path = socketPath();
    await serve(path, await embedded());
    const Client = workloadApiClientConstructor();
    const client = new Client(`unix:${path}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const call = (client as unknown as { FetchX509SVID(request: object): grpc.ClientReadableStream<X509SvidResponseMessage> }).FetchX509SVID({});
    const error = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('workload.spiffe.io');
  });

  it('retries PermissionDenied (no identity yet) with backoff, and is served once an identity is issued', async () => {
    const path = socketPath();
    const real = await embedded();
    let issued = false;
    const listeners = new Set<() => void>();
    const gated: X509SvidSource = {
      current: () => (issued ? real.current() : undefined),
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    await serve(path, gated);
    const { updates, states } = watch(path);
    await waitFor(() => (states.filter((state) => state.status === 'waiting').length >= 3 ? true : undefined), 10_000, 'three retries');
    const waiting = states.filter((state): state is Extract<WatcherState, { status: 'waiting' }> => state.status === 'waiting');
    expect(waiting[0]!.reason).toMatch(/^PERMISSION_DENIED: no identity issued/);
    expect(waiting.map((state) => state.attempts)).toEqual([1, 2, 3, ...waiting.slice(3).map((state) => state.attempts)]);
    expect(updates).toEqual([]);
    issued = true;
    await waitFor(() => updates[0], 10_000, 'the SVID once issued');
  });

  it('drops a message whose certificate does not match the SPIFFE ID it announces, keeping the last good state', async () => {
    const path = socketPath();
    const real = await embedded();
    let lie = false;
    const listeners = new Set<() => void>();
    const source: X509SvidSource = {
      current: () => {
        const state = real.current()!;
        return lie ? { ...state, svids: [{ ...state.svids[0]!, spiffe_id: 'spiffe://mesh.test/node/b' }] } : state;
      },
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    await serve(path, source);
    const bad: Error[] = [];
    const updates: X509Context[] = [];
    const watcher = new X509ContextWatcher({ address: { kind: 'unix', path }, onUpdate: (context) => updates.push(context), onBadMessage: (error) => bad.push(error), backoff: FAST_RETRY });
    watcher.start();
    cleanups.push(() => watcher.stop());
    await waitFor(() => updates[0], 10_000, 'the first SVID');
    lie = true;
    for (const listener of listeners) listener();
    await waitFor(() => bad[0], 10_000, 'the bad message');
    expect(bad[0]!.message).toContain('announced as spiffe://mesh.test/node/b');
    expect(updates).toHaveLength(1);
  });
});
