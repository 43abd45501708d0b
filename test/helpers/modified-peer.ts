/**
 * What a modified peer can put on the wire, done to a PeerLinks in the test (or bench) process by
 * reaching into its link table: raw link frames and raw bytes on its live connections, and a peer
 * that never acknowledges what it receives. The node under attack cannot tell these from a peer
 * running other code.
 */
import type { LinkFrame } from '../../actors/peer-link/frame-codec.js';
import type { LinkConnection } from '../../actors/peer-link/link-connection.js';
import type { PeerLinks } from '../../actors/peer-link/peer-links.js';

interface LinkTableInside {
  table: { values(): Iterable<{ active?: LinkConnection }> };
}

function liveConnections(links: PeerLinks): LinkConnection[] {
  const connections: LinkConnection[] = [];
  for (const link of (links as unknown as LinkTableInside).table.values()) if (link.active) connections.push(link.active);
  return connections;
}

/** Sends `frame` `times` times, sealed as any frame, on every live connection of `links`; returns how many went. */
export function sendRaw(links: PeerLinks, frame: LinkFrame, times: number): number {
  let sent = 0;
  for (const connection of liveConnections(links)) {
    for (let i = 0; i < times; i++) connection.send(frame);
    sent += times;
  }
  return sent;
}

/**
 * Writes `bytes` unsealed, straight onto the TLS stream of every live connection of `links` (the
 * peer reads them where it expects a record's length prefix); returns the connections written to.
 */
export function writeRawBytes(links: PeerLinks, bytes: Uint8Array): number {
  const connections = liveConnections(links);
  for (const connection of connections) connection.carrier.write(bytes);
  return connections.length;
}

/**
 * Makes `links` a peer that never acknowledges: its acknowledgements are never sent, and its
 * Hellos say it has received nothing (a Hello's `receiveNext` acknowledges everything below it),
 * so the other side holds everything it sent in its send window and resends it all on every new
 * connection. Call before the links make their first connection.
 */
export function withholdAcknowledgements(links: PeerLinks): { withheld(): number } {
  let withheld = 0;
  const inside = links as unknown as { linkConnection(...args: unknown[]): LinkConnection };
  const make = inside.linkConnection.bind(links);
  inside.linkConnection = (...args: unknown[]) => {
    const connection = make(...args);
    const send = connection.send.bind(connection);
    connection.send = (frame: LinkFrame) => {
      if (frame.kind === 'ack') {
        withheld++;
        return;
      }
      send(frame.kind === 'hello' ? { ...frame, receiveNext: 0 } : frame);
    };
    return connection;
  };
  return { withheld: () => withheld };
}
