/**
 * The node's operations over every registered subsystem standing (config/subsystem-standings.ts),
 * each read through the one latest-state accessor: the states `status` carries, the readiness
 * verdicts, and the phrases of systemd's STATUS= line. Nothing here names a subsystem.
 */
import type { SubsystemStanding, Verdict } from '../contracts/subsystem-standing.js';
import type { TopicRegistry } from '../bus/topic-registry.js';
import { subsystemStandings } from '../config/subsystem-standings.js';
import type { LatestStateOf } from './latest-states.js';
import type { StandingStates } from './node-status.js';

export type StandingRegistry = Readonly<Record<string, SubsystemStanding<unknown>>>;

/** A subsystem's readiness verdict, with the actor whose presence in the tree makes it count. */
export interface StandingVerdict {
  actor: string;
  verdict: Verdict;
}

/** Every standing's topic must be declared as a latest state, or its state would never be kept. */
export function checkStandingTopics(topics: TopicRegistry, standings: StandingRegistry = subsystemStandings): void {
  for (const [name, { format }] of Object.entries(standings)) {
    if (!topics.has(format.topic) || topics.spec(format.topic).latestState !== true) {
      throw new TypeError(`standing '${name}' reads topic '${format.topic}', which is not declared with latestState: true`);
    }
  }
}

/** Who may publish each standing's state: its own actor, and no one else. */
export function standingPublishers(standings: StandingRegistry = subsystemStandings): Map<string, string> {
  return new Map(Object.values(standings).map(({ format }) => [format.topic, format.actor]));
}

/** Each subsystem's latest state under its standing's name, for those that have reported. */
export function standingStates(latest: LatestStateOf, standings: StandingRegistry = subsystemStandings): StandingStates {
  const states: Record<string, unknown> = {};
  for (const [name, { format }] of Object.entries(standings)) {
    const state = latest(format.topic);
    if (state !== undefined) states[name] = state;
  }
  return states as StandingStates;
}

/** The verdict of each standing that can hold readiness back. */
export function standingVerdicts(latest: LatestStateOf, standings: StandingRegistry = subsystemStandings): StandingVerdict[] {
  return Object.values(standings).flatMap(({ format }) => (format.ready ? [{ actor: format.actor, verdict: format.ready(latest(format.topic)) }] : []));
}

/** A phrase per reported state, for systemd's STATUS=. */
export function standingSummaries(latest: LatestStateOf, standings: StandingRegistry = subsystemStandings): string[] {
  return Object.values(standings).flatMap(({ format }) => {
    const state = latest(format.topic);
    return state === undefined ? [] : [format.summary(state)];
  });
}
