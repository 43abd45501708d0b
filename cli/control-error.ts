/** Why a control call did not get an answer from the node. */
export type ControlErrorReason =
  /** No socket file, or nobody listening on it. */
  | 'not_running'
  /** The socket exists but this user may not connect (it is 0600, owned by the node's user). */
  | 'permission_denied'
  /** Any other failure to connect. */
  | 'connection_failed'
  /** Connected, but no answer within the deadline. */
  | 'timeout'
  /** The node closed the connection before answering. */
  | 'connection_closed'
  /** The node answered with something that is not a control response. */
  | 'protocol';

/**
 * A control call (`x0tta6bl4 status`, …) that failed on the way to or from the node, as opposed to
 * an error the node itself answered with (those are rebuilt with their own name). Match on `reason`.
 */
export class ControlError extends Error {
  override readonly name = 'ControlError';

  constructor(
    readonly reason: ControlErrorReason,
    readonly socketPath: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
