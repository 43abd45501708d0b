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

/** Upper bounds (seconds) of the handshake-duration histogram the peer-link actor keeps for metrics. */
export const HANDSHAKE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** The post-quantum sessions of all links: handshakes, rekeys, and failures by reason. */
export interface PostQuantumCounters {
  handshakes: number;
  rekeys: number;
  failures: Record<string, number>;
  lastHandshakeMs: number;
  /** Handshake durations: cumulative counts per HANDSHAKE_SECONDS_BUCKETS bound, and their sum. */
  handshakeSeconds: { cumulative: number[]; sum: number };
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
