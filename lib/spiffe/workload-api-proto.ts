/**
 * The Workload API's gRPC service definition, loaded from workload.proto (kept in the source
 * tree beside this module; the compiled module finds it from dist/). Bytes stay Buffers, 64-bit
 * numbers strings, and unset fields get their defaults, as the standard's messages expect.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

/** From dist/lib/spiffe/ (compiled) back to the source tree's lib/spiffe/workload.proto. */
const PROTO_PATH = fileURLToPath(new URL('../../../lib/spiffe/workload.proto', import.meta.url));

/** The metadata every Workload API call carries (the standard's guard against SSRF-style relays). */
export const SECURITY_HEADER = 'workload.spiffe.io';

export interface X509SvidMessage {
  spiffe_id: string;
  x509_svid: Buffer;
  x509_svid_key: Buffer;
  bundle: Buffer;
  hint: string;
}

export interface X509SvidResponseMessage {
  svids: X509SvidMessage[];
  crl: Buffer[];
  federated_bundles: Record<string, Buffer>;
}

export interface X509BundlesResponseMessage {
  crl: Buffer[];
  bundles: Record<string, Buffer>;
}

let service: grpc.ServiceDefinition | undefined;
let clientConstructor: grpc.ServiceClientConstructor | undefined;

function load(): { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } {
  if (!service || !clientConstructor) {
    const definition = loadSync(PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { SpiffeWorkloadAPI: grpc.ServiceClientConstructor };
    clientConstructor = loaded.SpiffeWorkloadAPI;
    service = clientConstructor.service;
  }
  return { service, Client: clientConstructor };
}

export function workloadApiService(): grpc.ServiceDefinition {
  return load().service;
}

export function workloadApiClientConstructor(): grpc.ServiceClientConstructor {
  return load().Client;
}
