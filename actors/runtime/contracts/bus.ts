/** The Bus contract: publish/subscribe by topic, request/reply by actor id. */
export interface MessageMeta {
  topic: string;
  from: string;
}

export type Unsubscribe = () => void;

export interface Bus {
  /** Resolves once every subscriber's mailbox has taken the message (a `block` topic may wait). */
  publish(topic: string, payload: unknown): Promise<void>;
  /** A handler in the caller's thread for every message on a topic. */
  subscribe(topic: string, handler: (payload: unknown, meta: MessageMeta) => void): Unsubscribe;
  /** Sends to one actor and waits for its reply. */
  request(actorId: string, topic: string, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
}

export interface BusCounters {
  published: number;
  delivered: number;
  malformed: number;
  dropped: number;
  rejected: number;
  lateReplies: number;
  /**
   * The most messages one sender has had waiting in the host behind a full mailbox (a `block`
   * topic): what backpressure left in the node's memory before it reached the sender.
   */
  heldMax: number;
}
