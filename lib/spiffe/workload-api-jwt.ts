/**
 * The JWT-SVID profile of the Workload API client: FetchJWTSVID, FetchJWTBundles (its first
 * message: the current bundles) and ValidateJWTSVID, each with the security header. Failures come
 * back as WorkloadApiCallError with the gRPC status; replies are checked (SPIFFE IDs parse, JWT
 * bundles are JWK sets) before they are returned.
 */
import * as grpc from '@grpc/grpc-js';
import type { JSONWebKeySet } from 'jose';
import type { EndpointAddress } from './endpoint-address.js';
import { parseSpiffeId, type SpiffeId } from './spiffe-id.js';
import { fromStruct, type ProtoStruct } from './protobuf-struct.js';
import { grpcTarget, WorkloadApiMessageError } from './workload-api-client.js';
import { SECURITY_HEADER, workloadApiClientConstructor } from './workload-api-proto.js';

export class WorkloadApiCallError extends Error {
  override readonly name = 'WorkloadApiCallError';
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method}: ${grpc.status[code] ?? code}: ${details}`);
  }
}

interface RawClient {
  FetchJWTSVID(request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response?: { svids: { spiffe_id: string; svid: string; hint: string }[] }) => void): void;
  FetchJWTBundles(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<{ bundles: Record<string, Buffer> }>;
  ValidateJWTSVID(request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response?: { spiffe_id: string; claims: ProtoStruct }) => void): void;
  close(): void;
}

export class WorkloadApiJwtClient {
  private readonly client: RawClient;

  constructor(address: EndpointAddress) {
    const Client = workloadApiClientConstructor();
    this.client = new Client(grpcTarget(address), grpc.credentials.createInsecure()) as unknown as RawClient;
  }

  async fetchJwtSvids(audience: readonly string[], spiffeId?: string): Promise<{ spiffeId: SpiffeId; token: string; hint: string }[]> {
    const response = await new Promise<{ svids: { spiffe_id: string; svid: string; hint: string }[] }>((resolve, reject) =>
      this.client.FetchJWTSVID({ audience, spiffe_id: spiffeId ?? '' }, header(), (error, reply) => (error ? reject(callError('FetchJWTSVID', error)) : resolve(reply!))),
    );
    return response.svids.map((svid) => ({ spiffeId: parseSpiffeId(svid.spiffe_id), token: svid.svid, hint: svid.hint }));
  }

  /** The JWT bundles as the agent has them now, by trust-domain name. */
  fetchJwtBundles(): Promise<Map<string, JSONWebKeySet>> {
    return new Promise((resolve, reject) => {
      const call = this.client.FetchJWTBundles({}, header());
      call.once('data', (message: { bundles: Record<string, Buffer> }) => {
        call.removeAllListeners('error');
        call.on('error', () => undefined);
        call.cancel();
        try {
          resolve(toBundleSet(message.bundles));
        } catch (error) {
          reject(error);
        }
      });
      call.once('error', (error: grpc.ServiceError) => reject(callError('FetchJWTBundles', error)));
    });
  }

  async validateJwtSvid(audience: string, token: string): Promise<{ spiffeId: SpiffeId; claims: Record<string, unknown> }> {
    const response = await new Promise<{ spiffe_id: string; claims: ProtoStruct }>((resolve, reject) =>
      this.client.ValidateJWTSVID({ audience, svid: token }, header(), (error, reply) => (error ? reject(callError('ValidateJWTSVID', error)) : resolve(reply!))),
    );
    return { spiffeId: parseSpiffeId(response.spiffe_id), claims: fromStruct(response.claims) };
  }

  close(): void {
    this.client.close();
  }
}

function header(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(SECURITY_HEADER, 'true');
  return metadata;
}

function callError(method: string, error: grpc.ServiceError): WorkloadApiCallError {
  return new WorkloadApiCallError(method, error.code, error.details || error.message);
}

function toBundleSet(raw: Record<string, Buffer>): Map<string, JSONWebKeySet> {
  const bundles = new Map<string, JSONWebKeySet>();
  for (const [id, bytes] of Object.entries(raw)) {
    const trustDomain = parseSpiffeId(id).trustDomain;
    let set: unknown;
    try {
      set = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new WorkloadApiMessageError(`the JWT bundle of ${trustDomain} is not JSON`);
    }
    if (typeof set !== 'object' || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
      throw new WorkloadApiMessageError(`the JWT bundle of ${trustDomain} is not a JWK set`);
    }
    bundles.set(trustDomain, set as JSONWebKeySet);
  }
  return bundles;
}
