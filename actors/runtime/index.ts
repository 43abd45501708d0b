/** The programmatic API of x0tta6bl4 (package entry point): see README.md, "Programmatic API". */
export { createNode, type NodeOptions, type X0tta6bl4Node } from './node.js';
export { defineActor, type ActorDefinition, type ActorIo } from './contracts/actor.js';
export { defineTopics, type TopicDeclarations, type TopicSpec, type OverflowPolicy } from './bus/topic-registry.js';
export type { BusEvent, BusEmitted } from './contracts/envelope.js';
export type { ChildSpec, ActorChildSpec, SupervisorSpec, Strategy, RestartType } from './contracts/supervision-spec.js';
export type { NodeConfig, NodeConfigInput } from './config/node-config.js';
export type { NodeStatus, TreeNodeStatus } from './ops/node-status.js';
export type { FaultKind } from './host/worker/worker-control.js';
export { realClock, type Clock, type TimerHandle } from './contracts/clock.js';
export { realRandom, type Random } from './contracts/random.js';
export { VirtualClock, type VirtualClockOptions } from '../../lib/timing/virtual-clock.js';
export { seededRandom } from '../../lib/timing/seeded-random.js';
export * from './errors.js';
