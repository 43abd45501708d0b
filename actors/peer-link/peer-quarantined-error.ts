/** A connection closed, or a dial given up, because the MAPE-K loop quarantined its peer (quarantine-peer). */
export class PeerQuarantinedError extends Error {
  override readonly name = 'PeerQuarantinedError';
  constructor(
    readonly peer: string,
    /** Epoch ms: when the quarantine ends. */
    readonly until: number,
  ) {
    super(`${peer} is quarantined until ${new Date(until).toISOString()}`);
  }
}
