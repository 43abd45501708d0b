/** XState's clock: real timers in production, a SimulatedClock in deterministic simulation. */
import type { ActorOptions, AnyActorLogic } from 'xstate';

export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;
