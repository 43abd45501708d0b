/** What the peer-link transport reports (machines/peer-link.ts publishes it on `mesh.links`; status shows it): its listener and every link. */
export type LinkRole = 'dialer' | 'acceptor';
export type LinkStatus = 'connecting' | 'up' | 'down';

export interface LinkState {
  peer: string;
  role: LinkRole;
  /** The address dialed (dialer links only). */
  address?: string;
  status: LinkStatus;
  /** Connections established over the link's life: the first, reconnections and re-authentications. */
  connections: number;
  /** Moves to a new connection made because an SVID was rotated or neared expiry. */
  reauths: number;
  sent: number;
  delivered: number;
  /** Sent and not yet acknowledged by the peer. */
  pending: number;
  retransmitted: number;
  duplicates: number;
  /** Refused because the link held its whole window unacknowledged. */
  dropped: number;
  /** Epoch ms: when the current connection's SVIDs stop being valid. */
  expiresAt?: number;
  /** The current connection's post-quantum session: its hybrid suite and key epoch (rekeys so far). */
  suite?: string;
  epoch?: number;
  lastError?: string;
}

/** The post-quantum sessions of all links: handshakes, rekeys, and failures by reason. */
export interface PostQuantumCounters {
  handshakes: number;
  rekeys: number;
  failures: Record<string, number>;
  lastHandshakeMs: number;
}

export interface MeshLinksState {
  /** `host:port` once listening. */
  listening?: string;
  spiffeId?: string;
  links: LinkState[];
  /** Connections refused: peer SVID invalid, not authorized, or protocol broken before a link was bound. */
  refused: number;
  lastRefusal?: string;
  /** Incoming TLS handshakes that failed before any identity was shown (scanners; dialers that refused this node first). */
  handshakeFailures: number;
  pq: PostQuantumCounters;
  /** Messages for a peer no link leads to. */
  unroutable: number;
}
