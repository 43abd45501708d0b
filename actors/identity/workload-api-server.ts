/**
 * A Workload API server speaking the standard's proto over a unix socket: the embedded trust
 * domain's (when no SPIRE agent runs) and the tests' stand-in for a SPIRE agent. It serves what
 * an X509SvidSource holds, pushes every change down open streams (each message the full state),
 * and answers as an agent does: InvalidArgument without the security header, PermissionDenied
 * while the caller has no identity. The JWT profile is not served (Unimplemented).
 */
import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { SECURITY_HEADER, workloadApiService, type X509BundlesResponseMessage, type X509SvidResponseMessage } from './workload-api-proto.js';

export interface X509SvidSource {
  /** The full state for the caller, or undefined while it has no identity. */
  current(): X509SvidResponseMessage | undefined;
  /** Called on every change (rotation, a new identity); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

export interface WorkloadApiServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

export async function startWorkloadApiServer(options: { socketPath: string; source: X509SvidSource }): Promise<WorkloadApiServer> {
  const { socketPath, source } = options;
  const server = new grpc.Server();
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'the JWT-SVID profile is not served by the embedded Workload API' });

  server.addService(workloadApiService(), {
    FetchX509SVID: (call: grpc.ServerWritableStream<unknown, X509SvidResponseMessage>) => {
      streamState(call, source, (state) => state);
    },
    FetchX509Bundles: (call: grpc.ServerWritableStream<unknown, X509BundlesResponseMessage>) => {
      streamState(call, source, bundlesOf);
    },
    FetchJWTSVID: unimplemented,
    FetchJWTBundles: (call: grpc.ServerWritableStream<unknown, unknown>) =>
      endWithStatus(call, grpc.status.UNIMPLEMENTED, 'the JWT-SVID profile is not served by the embedded Workload API'),
    ValidateJWTSVID: unimplemented,
  });
  // A stale socket file from a crashed run would make the bind fail: the path is ours.
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve()));
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
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
