/** A record from a peer that breaks the link protocol: the connection is closed, the link keeps its state. */
/** record-stalled: a record begun and not finished within RECORD_COMPLETION_MS (link-connection.ts); forged-record: a member record only a forger sends (membership.ts). */
export type LinkFrameRule = 'record-too-large' | 'record-stalled' | 'malformed' | 'no-kind' | 'bad-field' | 'unexpected' | 'forged-record';

export class LinkFrameError extends Error {
  override readonly name = 'LinkFrameError';
  constructor(
    readonly rule: LinkFrameRule,
    message: string,
  ) {
    super(message);
  }
}
