/**
 * A Workload API client for the X.509 profile: one FetchX509SVID stream to the agent at the
 * address SPIFFE_ENDPOINT_SOCKET (or configuration) gives, kept open for the node's life. Each
 * message is the full state: it replaces the last one whole (an SVID a later message no longer
 * carries is gone). Every call carries the `workload.spiffe.io: true` header.
 *
 * Unavailable (no agent yet), PermissionDenied (no identity registered yet) and other transient
 * failures are retried with exponential backoff and jitter while the state says why; an
 * InvalidArgument is a bug on our side or the agent's, reported and not retried. A message that
 * does not parse is reported and dropped, keeping the last good state.
 */
import * as grpc from '@grpc/grpc-js';
import type { X509Certificate } from '@peculiar/x509';
import type { EndpointAddress } from './endpoint-address.js';
import { parseCertificates } from './certificates.js';
import { parseSpiffeId, type SpiffeId } from './spiffe-id.js';
import { leafSpiffeId } from './x509-svid.js';
import { SECURITY_HEADER, workloadApiClientConstructor, type X509SvidResponseMessage } from './workload-api-proto.js';
import { backoffDelayMs, type BackoffPolicy } from '../timing/backoff.js';

export interface X509SvidEntry {
  spiffeId: SpiffeId;
  /** Leaf first. */
  chain: X509Certificate[];
  /** DER PKCS#8. */
  privateKey: Buffer;
  hint: string;
}

export interface X509Context {
  svids: X509SvidEntry[];
  /** Trust bundles by trust-domain name: the SVIDs' own and federated ones. */
  bundles: Map<string, X509Certificate[]>;
}

export type WatcherState =
  | { status: 'connecting' }
  | { status: 'waiting'; reason: string; retryInMs: number; attempts: number }
  | { status: 'ready'; updatedAt: number }
  | { status: 'failed'; reason: string }
  | { status: 'stopped' };

export type BackoffOptions = BackoffPolicy;

/** As go-spiffe retries: quickly at first, never more than every 30 s apart. */
export const DEFAULT_WORKLOAD_API_BACKOFF: BackoffOptions = { minMs: 100, maxMs: 30_000, jitter: 0.2 };

export class WorkloadApiMessageError extends Error {
  override readonly name = 'WorkloadApiMessageError';
}

export interface X509WatcherOptions {
  address: EndpointAddress;
  onUpdate(context: X509Context): void;
  onState?(state: WatcherState): void;
  /** A message that could not be used (it is dropped; the last good state stays). */
  onBadMessage?(error: Error): void;
  backoff?: BackoffOptions;
}

export class X509ContextWatcher {
  private client: grpc.Client | undefined;
  private call: grpc.ClientReadableStream<X509SvidResponseMessage> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private stopped = false;
  state: WatcherState = { status: 'connecting' };

  constructor(private readonly options: X509WatcherOptions) {}

  start(): void {
    const Client = workloadApiClientConstructor();
    this.client = new Client(grpcTarget(this.options.address), grpc.credentials.createInsecure());
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.client?.close();
    this.setState({ status: 'stopped' });
  }

  private connect(): void {
    if (this.stopped || !this.client) return;
    const metadata = new grpc.Metadata();
    metadata.set(SECURITY_HEADER, 'true');
    const call = (this.client as unknown as { FetchX509SVID(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<X509SvidResponseMessage> }).FetchX509SVID({}, metadata);
    this.call = call;
    call.on('data', (message: X509SvidResponseMessage) => {
      let context: X509Context;
      try {
        context = toContext(message);
      } catch (error) {
        this.options.onBadMessage?.(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.attempts = 0;
      this.setState({ status: 'ready', updatedAt: Date.now() });
      this.options.onUpdate(context);
    });
    call.on('error', (error: grpc.ServiceError) => {
      if (this.call !== call || this.stopped || error.code === grpc.status.CANCELLED) return;
      if (error.code === grpc.status.INVALID_ARGUMENT) {
        this.setState({ status: 'failed', reason: `InvalidArgument: ${error.details}` });
        return;
      }
      this.retry(`${grpc.status[error.code] ?? error.code}: ${error.details || error.message}`);
    });
    call.on('end', () => {
      if (this.call === call && !this.stopped && this.state.status === 'ready') this.retry('the agent ended the stream');
    });
  }

  private retry(reason: string): void {
    this.attempts++;
    const backoff = this.options.backoff ?? DEFAULT_WORKLOAD_API_BACKOFF;
    const retryInMs = backoffDelayMs(backoff, this.attempts, Math.random);
    this.setState({ status: 'waiting', reason, retryInMs, attempts: this.attempts });
    this.retryTimer = setTimeout(() => this.connect(), retryInMs);
  }

  private setState(state: WatcherState): void {
    this.state = state;
    this.options.onState?.(state);
  }
}

export function grpcTarget(address: EndpointAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Checks and converts one FetchX509SVID message: every certificate parses, each leaf carries the SPIFFE ID announced. */
export function toContext(message: X509SvidResponseMessage): X509Context {
  if (message.svids.length === 0) throw new WorkloadApiMessageError('the Workload API sent no SVID');
  const bundles = new Map<string, X509Certificate[]>();
  const svids = message.svids.map((svid, index) => {
    const spiffeId = parseSpiffeId(svid.spiffe_id);
    const chain = parseCertificates(new Uint8Array(svid.x509_svid), `SVID #${index} (${svid.spiffe_id})`);
    const leafId = leafSpiffeId(chain[0]!);
    if (leafId.id !== spiffeId.id) throw new WorkloadApiMessageError(`SVID #${index} is announced as ${spiffeId.id} but its certificate says ${leafId.id}`);
    if (svid.x509_svid_key.length === 0) throw new WorkloadApiMessageError(`SVID #${index} (${spiffeId.id}) has no private key`);
    bundles.set(spiffeId.trustDomain, parseCertificates(new Uint8Array(svid.bundle), `bundle of ${spiffeId.trustDomain}`));
    return { spiffeId, chain, privateKey: svid.x509_svid_key, hint: svid.hint };
  });
  for (const [id, der] of Object.entries(message.federated_bundles)) {
    const trustDomain = parseSpiffeId(id).trustDomain;
    if (!bundles.has(trustDomain)) bundles.set(trustDomain, parseCertificates(new Uint8Array(der), `federated bundle of ${trustDomain}`));
  }
  return { svids, bundles };
}
