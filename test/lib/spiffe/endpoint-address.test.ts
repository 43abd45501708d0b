/**
 * The 35 SPIFFE_ENDPOINT_SOCKET vectors of ../shared/conformance/spiffe, judged by the Workload
 * Endpoint standard. One vector differs: go-spiffe accepts `unix://foo` (it joins host and path),
 * but the standard says the unix form has no authority and an absolute path, so it is refused here,
 * as the other libraries' vectors refuse `unix://example.org`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidEndpointAddressError, parseEndpointAddress } from '../../../lib/spiffe/endpoint-address.js';
import { readSharedJson } from '../../helpers/shared-data.js';

interface EndpointVector {
  input: string;
  valid: boolean;
  library?: string;
}

const vectors = readSharedJson<EndpointVector[]>('conformance/spiffe/endpoint-vectors.json');
const STANDARD_DIFFERS = new Set(['unix://foo']);

describe('Workload API endpoint address vectors', () => {
  it('has the 35 vectors', () => {
    expect(vectors).toHaveLength(35);
  });

  it.each(vectors.map((vector, index) => ({ ...vector, name: `#${index} ${JSON.stringify(vector.input)}` })))('$name', (vector) => {
    const expected = STANDARD_DIFFERS.has(vector.input) ? false : vector.valid;
    let error: unknown;
    try {
      parseEndpointAddress(vector.input);
    } catch (caught) {
      error = caught;
    }
    expect(error === undefined).toBe(expected);
    if (error !== undefined) expect(error).toBeInstanceOf(InvalidEndpointAddressError);
  });

  it('gives the socket path or the IP and port', () => {
    expect(parseEndpointAddress('unix:///run/spire/agent.sock')).toEqual({ kind: 'unix', path: '/run/spire/agent.sock' });
    expect(parseEndpointAddress('tcp://127.0.0.1:8081')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8081 });
    expect(parseEndpointAddress('tcp://[::1]:8081')).toEqual({ kind: 'tcp', host: '::1', port: 8081 });
    expect(() => parseEndpointAddress('unix:///run/a\tb.sock')).toThrow(/control characters/);
    expect(() => parseEndpointAddress('unix://foo')).toThrow(/an authority is not allowed/);
  });
});
