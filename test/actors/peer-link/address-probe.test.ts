/**
 * The address probe against real sockets on loopback: a port nobody listens on refuses at once
 * ('refused', and only when every address refuses); a listening port answers ('unknown'); a DNS
 * name or an address that does not parse is never tried ('unknown'); and beyond the probes it may
 * run at once, a probe says 'unknown' without trying.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressProbe } from '../../../actors/peer-link/address-probe.js';
import { freePort } from '../../helpers/free-port.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listening(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('address probe', () => {
  it('says refused only when every address refuses a connection', async () => {
    const probe = new AddressProbe();
    const [closed, open] = [await freePort(), await listening()];
    expect(await probe.probe([`127.0.0.1:${closed}`])).toBe('refused');
    expect(await probe.probe([`127.0.0.1:${closed}`, `127.0.0.1:${open}`])).toBe('unknown');
    expect(await probe.probe([`127.0.0.1:${open}`])).toBe('unknown');
    expect(await probe.probe([])).toBe('unknown');
  });

  it('never tries a DNS name or an address that does not parse', async () => {
    const probe = new AddressProbe();
    expect(await probe.probe(['localhost:1'])).toBe('unknown');
    expect(await probe.probe(['not an address'])).toBe('unknown');
  });

  it('says unknown without trying beyond the probes it may run at once', async () => {
    const probe = new AddressProbe(1_000, 1);
    const closed = await freePort();
    const [first, second] = await Promise.all([probe.probe([`127.0.0.1:${closed}`]), probe.probe([`127.0.0.1:${closed}`])]);
    expect([first, second]).toEqual(['refused', 'unknown']);
    expect(await probe.probe([`127.0.0.1:${closed}`])).toBe('refused');
  });
});
