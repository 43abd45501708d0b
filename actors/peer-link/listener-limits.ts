/**
 * What the listener lets an unauthenticated client hold: every connection it accepts costs a
 * descriptor and TLS state before anyone has shown an identity, so the number, the time and the
 * answer are all bounded. Without them a client that opened sockets and never finished a handshake
 * (Node's default handshake timeout is 120 s), or finished TLS without a certificate and never
 * closed after the refusal, could hold about 65,000 descriptors and starve the control socket,
 * SQLite, the Workload API and every dial of the process.
 */
export interface ListenerLimits {
  /** TLS handshake deadline (Node's handshakeTimeout); a client still shaking hands after it is dropped. */
  handshakeDeadlineMs: number;
  /** Connections the listener holds at once, from everyone (net.Server maxConnections). */
  maxConnections: number;
  /** Connections one remote address holds at once: one client cannot take the whole allowance. */
  maxConnectionsPerAddress: number;
  /** After a refusal is written, how long the client may take to read it before the socket is destroyed. */
  refusalLingerMs: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  // A TLS 1.3 handshake is one round trip and a few ms of CPU; 10 s covers a slow link and a loaded
  // machine with room to spare, and is a twelfth of what a stalled client could hold before.
  handshakeDeadlineMs: 10_000,
  // A node links to tens of peers, each with at most two connections at once (make before break);
  // 512 leaves room for a large mesh and stays far below the descriptors a process has.
  maxConnections: 512,
  // Several nodes may share one address behind a NAT; 32 is a handful of them, each re-authenticating.
  maxConnectionsPerAddress: 32,
  // A refusal is one small record: a second is ample for a client to read it.
  refusalLingerMs: 1_000,
};
