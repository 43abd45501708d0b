/**
 * The latest payload of each topic declared `latestState` (a subsystem's standing), kept in the
 * main thread as the bus delivers it: already checked against the topic's schema, since the bus
 * refuses a malformed payload before any subscriber sees it. Status, /ready, metrics and the
 * systemd watchdog read a subsystem's state only through `get`.
 */
import type { Bus } from '../contracts/bus.js';
import type { TopicRegistry } from '../bus/topic-registry.js';

/** The one accessor: the latest payload on a latest-state topic, undefined until its first message (and for any other topic). */
export type LatestStateOf = (topic: string) => unknown;

export class LatestStates {
  private readonly latest = new Map<string, unknown>();

  constructor(topics: TopicRegistry, bus: Pick<Bus, 'subscribe'>) {
    for (const topic of topics.latestStateTopics()) {
      bus.subscribe(topic, (payload) => {
        this.latest.set(topic, payload);
      });
    }
  }

  readonly get: LatestStateOf = (topic) => this.latest.get(topic);
}
