/**
 * The latest payload of each topic declared `latestState` (a subsystem's standing), kept in the
 * main thread as the bus delivers it: already checked against the topic's schema, since the bus
 * refuses a malformed payload before any subscriber sees it. Status, /ready, metrics and the
 * systemd watchdog read a subsystem's state only through `get`.
 *
 * A topic with a known publisher (a registered standing's actor) keeps only what that actor
 * publishes: another actor, or the programmatic API, cannot make `/ready` say the node holds an
 * SVID by posting `identity.state`. Such payloads are counted and dropped.
 */
import type { Bus } from '../contracts/bus.js';
import type { TopicRegistry } from '../bus/topic-registry.js';

/** The one accessor: the latest payload on a latest-state topic, undefined until its first message (and for any other topic). */
export type LatestStateOf = (topic: string) => unknown;

export class LatestStates {
  private readonly latest = new Map<string, unknown>();
  /** Payloads dropped because they came from another sender than the topic's publisher. */
  foreignPublications = 0;

  /** `publishers`: topic → the only sender whose payloads are kept (topics not in it keep any sender's). */
  constructor(topics: TopicRegistry, bus: Pick<Bus, 'subscribe'>, publishers: ReadonlyMap<string, string> = new Map()) {
    for (const topic of topics.latestStateTopics()) {
      const publisher = publishers.get(topic);
      bus.subscribe(topic, (payload, meta) => {
        if (publisher !== undefined && meta.from !== publisher) {
          this.foreignPublications++;
          return;
        }
        this.latest.set(topic, payload);
      });
    }
  }

  readonly get: LatestStateOf = (topic) => this.latest.get(topic);
}
