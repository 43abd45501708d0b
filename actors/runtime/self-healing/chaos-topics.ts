/**
 * Messages chaos puts straight into an actor's mailbox (never published: the bus refuses these
 * topics, and chaos is refused in production mode). Every runner handles them itself, before the
 * machine sees anything, so any actor can be their target.
 */
/** Crashes the actor each time it is delivered: redelivered after every restart, a crash loop. */
export const POISON_TOPIC = 'chaos.poison';
/** Costs the actor FLOOD_MESSAGE_COST_MS of CPU each: sent faster than that, a growing backlog. */
export const FLOOD_TOPIC = 'chaos.flood';
/**
 * A quarter of a millisecond: a flood of 8,000 messages a second outruns the actor two to one,
 * while a batch of 256 still takes only 64 ms, so the thread keeps acknowledging and answering.
 */
export const FLOOD_MESSAGE_COST_MS = 0.25;
