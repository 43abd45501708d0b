/**
 * A Workload API server speaking the standard's proto over a unix socket: the embedded trust
 * domain's (when no SPIRE agent runs) and the tests' stand-in for a SPIRE agent. It serves what
 * an X509SvidSource holds, pushes every change down open streams (each message the full state),
 * and answers as an agent does: InvalidArgument without the security header, PermissionDenied
 * while the caller has no identity. The JWT-SVID profile is served where the source issues
 * JWT-SVIDs (the embedded trust domain does); elsewhere it answers Unimplemented.
 */
import * as grpc from '@grpc/grpc-js';
import { chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { ensureDirectory, PRIVATE_FILE_MODE, removeStaleSocket } from '../../lib/files/private-files.js';
import type { JSONWebKeySet } from 'jose';
import { JwtSvidError, validateJwtSvid } from '../../lib/spiffe/jwt-svid.js';
import { toStruct, type ProtoStruct } from '../../lib/spiffe/protobuf-struct.js';
import { SECURITY_HEADER, workloadApiService, type X509BundlesResponseMessage, type X509SvidResponseMessage } from '../../lib/spiffe/workload-api-proto.js';

export interface X509SvidSource {
  /** The full state for the caller, or undefined while it has no identity. */
  current(): X509SvidResponseMessage | undefined;
  /** Called on every change (rotation, a new identity); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** The JWT-SVID profile, where the source serves it. */
export interface JwtSvidSource {
  issueJwtSvids(audience: string[], spiffeId?: string): Promise<{ spiffeId: string; token: string; hint: string }[]>;
  /** JWK sets by trust-domain name. */
  jwtBundles(): ReadonlyMap<string, JSONWebKeySet>;
}

export interface WorkloadApiServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

export interface WorkloadApiServerOptions {
  socketPath: string;
  source: X509SvidSource & Partial<JwtSvidSource>;
  /** The listening socket failed after it started (an accept out of descriptors): reported, never thrown. */
  onListenerError?(error: Error): void;
}

export async function startWorkloadApiServer(options: WorkloadApiServerOptions): Promise<WorkloadApiServer> {
  const { socketPath, source } = options;
  const server = new grpc.Server();
  const jwt = source.issueJwtSvids && source.jwtBundles ? (source as JwtSvidSource) : undefined;
  const unary =
    <Request, Response>(handle: (request: Request, jwtSource: JwtSvidSource) => Promise<Response>) =>
    (call: grpc.ServerUnaryCall<Request, Response>, callback: grpc.sendUnaryData<Response>) => {
      if (call.metadata.get(SECURITY_HEADER)[0] !== 'true') {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `security header missing from request: '${SECURITY_HEADER}: true'` });
        return;
      }
      if (!jwt) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: 'this Workload API source does not serve the JWT-SVID profile' });
        return;
      }
      handle(call.request, jwt).then(
        (response) => callback(null, response),
        (error: unknown) => callback(error as grpc.ServiceError),
      );
    };

  server.addService(workloadApiService(), {
    FetchX509SVID: (call: grpc.ServerWritableStream<unknown, X509SvidResponseMessage>) => {
      streamState(call, source, (state) => state);
    },
    FetchX509Bundles: (call: grpc.ServerWritableStream<unknown, X509BundlesResponseMessage>) => {
      streamState(call, source, bundlesOf);
    },
    FetchJWTSVID: unary<{ audience: string[]; spiffe_id: string }, { svids: { spiffe_id: string; svid: string; hint: string }[] }>(async (request, jwtSource) => {
      if (request.audience.length === 0) throw status(grpc.status.INVALID_ARGUMENT, 'audience must be specified');
      const svids = await jwtSource.issueJwtSvids(request.audience, request.spiffe_id || undefined);
      if (svids.length === 0) throw status(grpc.status.PERMISSION_DENIED, 'no identity issued');
      return { svids: svids.map((svid) => ({ spiffe_id: svid.spiffeId, svid: svid.token, hint: svid.hint })) };
    }),
    FetchJWTBundles: (call: grpc.ServerWritableStream<unknown, { bundles: Record<string, Buffer> }>) => {
      if (call.metadata.get(SECURITY_HEADER)[0] !== 'true') {
        endWithStatus(call, grpc.status.INVALID_ARGUMENT, `security header missing from request: '${SECURITY_HEADER}: true'`);
        return;
      }
      if (!jwt) {
        endWithStatus(call, grpc.status.UNIMPLEMENTED, 'this Workload API source does not serve the JWT-SVID profile');
        return;
      }
      const bundles: Record<string, Buffer> = {};
      for (const [trustDomain, set] of jwt.jwtBundles()) bundles[`spiffe://${trustDomain}`] = Buffer.from(JSON.stringify(set));
      call.write({ bundles });
    },
    ValidateJWTSVID: unary<{ audience: string; svid: string }, { spiffe_id: string; claims: ProtoStruct }>(async (request, jwtSource) => {
      if (request.audience === '') throw status(grpc.status.INVALID_ARGUMENT, 'audience must be specified');
      if (request.svid === '') throw status(grpc.status.INVALID_ARGUMENT, 'svid must be specified');
      try {
        const validated = await validateJwtSvid(request.svid, jwtSource.jwtBundles(), request.audience);
        return { spiffe_id: validated.spiffeId.id, claims: toStruct(validated.claims as Record<string, unknown>) };
      } catch (error) {
        if (error instanceof JwtSvidError) throw status(grpc.status.INVALID_ARGUMENT, `${error.name}: ${error.message}`);
        throw error;
      }
    }),
  });
  // The socket hands out the node's SVID and private key to whoever connects: it lives in a
  // directory only the node's user can enter, and is itself the owner's alone.
  ensureDirectory(dirname(socketPath), { private: true });
  // A stale socket from a crashed run would make the bind fail; anything else at the path is not ours to delete.
  removeStaleSocket(socketPath);
  // The socket is ours, not grpc-js's: grpc-js drops its listening server's only 'error' listener
  // once bound, so a failed accept there (out of descriptors, with worker threads taking libuv's
  // reserve one) would end the process. Ours keeps one for its whole life and hands each
  // connection to the gRPC server.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = createServer((socket) => injector.injectConnection(socket));
  await new Promise<void>((resolve, reject) => {
    let listening = false;
    listener.on('error', (error) => {
      if (listening) options.onListenerError?.(error);
      else reject(error);
    });
    listener.listen(socketPath, () => {
      listening = true;
      resolve();
    });
  });
  chmodSync(socketPath, PRIVATE_FILE_MODE);
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close();
        injector.destroy();
        server.forceShutdown();
        rmSync(socketPath, { force: true });
        resolve();
      }),
  };
}

function streamState<T>(call: grpc.ServerWritableStream<unknown, T>, source: X509SvidSource, shape: (state: X509SvidResponseMessage) => T): void {
  const fail = (code: grpc.status, details: string) => {
    unsubscribe?.();
    endWithStatus(call, code, details);
  };
  let unsubscribe: (() => void) | undefined;
  if (call.metadata.get(SECURITY_HEADER)[0] !== 'true') {
    fail(grpc.status.INVALID_ARGUMENT, `security header missing from request: '${SECURITY_HEADER}: true'`);
    return;
  }
  const send = () => {
    const state = source.current();
    if (!state || state.svids.length === 0) {
      fail(grpc.status.PERMISSION_DENIED, 'no identity issued');
      return;
    }
    call.write(shape(state));
  };
  unsubscribe = source.onChange(send);
  call.on('cancelled', () => unsubscribe?.());
  call.on('close', () => unsubscribe?.());
  send();
}

function status(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details };
}

/** Ends a server stream with a gRPC status: grpc-js sends what an 'error' event carries as the call's status. */
function endWithStatus(call: grpc.ServerWritableStream<unknown, unknown>, code: grpc.status, details: string): void {
  call.emit('error', { code, details, metadata: new grpc.Metadata() } satisfies Partial<grpc.StatusObject>);
}

function bundlesOf(state: X509SvidResponseMessage): X509BundlesResponseMessage {
  const bundles: Record<string, Buffer> = { ...state.federated_bundles };
  for (const svid of state.svids) {
    const trustDomain = svid.spiffe_id.slice('spiffe://'.length).split('/')[0]!;
    bundles[`spiffe://${trustDomain}`] = svid.bundle;
  }
  return { crl: state.crl, bundles };
}
