/** An acceptor asked its dialer to re-authenticate and no new connection came within the deadline: the old one is ended. */
export class ReauthNotAnsweredError extends Error {
  override readonly name = 'ReauthNotAnsweredError';
  constructor(
    readonly peer: string,
    readonly waitedMs: number,
  ) {
    super(`${peer} did not re-authenticate within ${waitedMs} ms of being asked`);
  }
}
