import { describe, expect, it } from 'vitest';
import { canonicalHostPort, formatHostPort, HostPortError, parseHostPort } from '../../../lib/net/host-port.js';

describe('host:port addresses', () => {
  it('reads IPv4, bracketed IPv6 and DNS names, and writes them back', () => {
    expect(parseHostPort('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400 });
    expect(parseHostPort('[::1]:7400')).toEqual({ host: '::1', port: 7400 });
    expect(parseHostPort('node-b.mesh.internal:1')).toEqual({ host: 'node-b.mesh.internal', port: 1 });
    expect(parseHostPort('0.0.0.0:0', { allowAnyPort: true }).port).toBe(0);
    expect(formatHostPort({ host: '::1', port: 7400 })).toBe('[::1]:7400');
    expect(formatHostPort({ host: '127.0.0.1', port: 7400 })).toBe('127.0.0.1:7400');
  });

  it.each([
    ['127.0.0.1', /not host:port/],
    [':7400', /not host:port/],
    ['::1:7400', /not host:port/],
    ['[::1]', /not host:port/],
    ['[1.2.3.4]:1', /not an IPv6 address/],
    ['bad_host:1', /neither an IPv4 address nor a DNS name/],
    ['-bad.example:1', /neither an IPv4 address nor a DNS name/],
    ['127.0.0.1:0', /port 0 is out of range/],
    ['127.0.0.1:65536', /port 65536 is out of range/],
    ['127.0.0.1:123456', /not host:port/],
    ['127.0.0.1:-1', /not host:port/],
  ])('refuses %s', (text, message) => {
    expect(() => parseHostPort(text)).toThrow(HostPortError);
    expect(() => parseHostPort(text)).toThrow(message);
  });
});

describe('canonicalHostPort', () => {
  it.each([
    ['[0:0::1]:7001', '[::1]:7001'],
    ['[2001:DB8:0:0:0:0:0:1]:443', '[2001:db8::1]:443'],
    ['Node-A.Example:07400', 'node-a.example:7400'],
    ['127.0.0.1:7001', '127.0.0.1:7001'],
  ])('spells %s as %s', (text, canonical) => {
    expect(canonicalHostPort(text)).toBe(canonical);
  });
});
