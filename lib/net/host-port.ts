/**
 * `host:port` addresses of the mesh configuration: an IPv4 literal, a bracketed IPv6 literal
 * (`[::1]:7400`) or a DNS name, and a port. Port 0 (any free port) is for listening only.
 */
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export class HostPortError extends Error {
  override readonly name = 'HostPortError';
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function parseHostPort(text: string, { allowAnyPort = false } = {}): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) throw new HostPortError(`'${text}' is not host:port (IPv6 in brackets: [::1]:7400)`);
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined && isIP(host) !== 6) throw new HostPortError(`'${host}' in brackets is not an IPv6 address`);
  if (match[2] !== undefined && isIP(host) !== 4 && !DNS_NAME.test(host)) throw new HostPortError(`'${host}' is neither an IPv4 address nor a DNS name`);
  const port = Number(match[3]);
  if (port > 65_535 || (port === 0 && !allowAnyPort)) throw new HostPortError(`port ${port} is out of range (1-65535${allowAnyPort ? ', or 0 for any' : ''})`);
  return { host, port };
}

export function formatHostPort(address: HostPort): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * One spelling per address, so that two spellings of one are recognised as the same: IPv6 in its
 * compressed form (WHATWG's, as `new URL` gives it), host names in lower case, the port without
 * leading zeros.
 */
export function canonicalHostPort(text: string): string {
  const { host, port } = parseHostPort(text);
  if (isIP(host) === 6) return formatHostPort({ host: new URL(`http://[${host}]/`).hostname.slice(1, -1), port });
  return formatHostPort({ host: host.toLowerCase(), port });
}
