/** A connection closed, or a dial given up, because the MAPE-K loop quarantined its peer (quarantine-peer). */
export class PeerQuarantinedError extends Error {
  override readonly name = 'PeerQuarantinedError';
  constructor(
    readonly peer: string,
    /** When the quarantine ends, as an operator reads it (an ISO time), or what ends it. */
    readonly until: string,
  ) {
    super(`${peer} is quarantined until ${until}`);
  }
}
