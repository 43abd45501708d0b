/**
 * The Workload API endpoint address, as the SPIFFE Workload Endpoint standard defines
 * SPIFFE_ENDPOINT_SOCKET: `unix:///absolute/path` (scheme and path only, no authority) or
 * `tcp://<IP>:<port>` (scheme, IP host and port only). Anything else is refused with the rule it
 * breaks. The URL is parsed with the WHATWG parser (node:url); characters that parser would
 * silently drop (tabs, newlines) are refused first.
 */
import { isIP } from 'node:net';

export type EndpointAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export class InvalidEndpointAddressError extends Error {
  override readonly name = 'InvalidEndpointAddressError';
  constructor(
    readonly input: string,
    readonly rule: string,
  ) {
    super(`invalid Workload API endpoint ${JSON.stringify(input)}: ${rule} (expected unix:///absolute/path or tcp://IP:port)`);
  }
}

export function parseEndpointAddress(input: string): EndpointAddress {
  const fail = (rule: string): never => {
    throw new InvalidEndpointAddressError(input, rule);
  };
  if (/[\u0000-\u0020\u007f]/.test(input)) fail('control characters and spaces are not allowed');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail('not a URI with a scheme');
  }
  if (url.protocol !== 'unix:' && url.protocol !== 'tcp:') fail(`scheme must be unix or tcp, is ${JSON.stringify(url.protocol.slice(0, -1))}`);
  const scheme = url.protocol.slice(0, -1);
  if (!input.startsWith(`${scheme}://`)) fail(`a ${scheme} address must not be opaque (${scheme}://…)`);
  if (input.includes('?')) fail('a query is not allowed');
  if (input.includes('#')) fail('a fragment is not allowed');
  if (url.username !== '' || url.password !== '' || input.slice(scheme.length + 3).split('/')[0]!.includes('@')) fail('user info is not allowed');
  if (scheme === 'unix') {
    if (url.host !== '') fail('an authority is not allowed: the path must be absolute (unix:///path)');
    if (url.pathname === '' || url.pathname === '/') fail('the socket path must be set');
    return { kind: 'unix', path: decodeURIComponent(url.pathname) };
  }
  if (url.hostname === '') fail('the host must be set');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0) fail(`the host must be an IP address, is ${JSON.stringify(url.hostname)}`);
  if (url.port === '') fail('the port must be set');
  if (url.pathname !== '' && url.pathname !== '/') fail('a path is not allowed');
  if (url.pathname === '/' && input.endsWith('/')) fail('a path is not allowed');
  return { kind: 'tcp', host, port: Number(url.port) };
}
