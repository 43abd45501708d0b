/** One bus message as it sits in a mailbox and crosses into an actor's thread. */
export interface Envelope {
  /** Position in the receiving actor's mailbox: increasing within one node run, so redeliveries are recognisable. */
  seq: number;
  topic: string;
  payload: unknown;
  /** Sender: an actor id, or `node` for the programmatic API. */
  from: string;
  /** Present on requests: the reply is matched to it. */
  requestId?: string;
  /** Wall-clock ms at publish, for hop latency. */
  sentAt: number;
}

/** An envelope as the actor's thread receives it: the publication time stays with the host's mailbox. */
export type DeliveredMessage = Omit<Envelope, 'sentAt'>;

/** The event an actor's machine receives for an envelope: the topic is the event type. */
export interface BusEvent {
  type: string;
  payload: unknown;
  from: string;
  requestId?: string;
}

/** Events a machine emits (XState `emit`) to talk to the bus: one definition, in lib/ so machines/ can use it too. */
export type { BusEmitted } from '../../../lib/bus/bus-emitted.js';

export const SENDER_NODE = 'node';

export function toBusEvent(envelope: DeliveredMessage): BusEvent {
  const event: BusEvent = { type: envelope.topic, payload: envelope.payload, from: envelope.from };
  if (envelope.requestId !== undefined) event.requestId = envelope.requestId;
  return event;
}
