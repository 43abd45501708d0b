/** The programmatic API of x0tta6bl4 (package entry point): see README.md, "Programmatic API". */
export { createNode, type NodeOptions, type X0tta6bl4Node } from './node.js';
export { defineActor, type ActorDefinition, type ActorIo } from './actor.js';
export { defineTopics, type TopicDeclarations, type TopicSpec, type OverflowPolicy } from './topic-registry.js';
export type { BusEvent, BusEmitted } from './envelope.js';
export type { ChildSpec, ActorChildSpec, SupervisorSpec, Strategy, RestartType } from './supervision-spec.js';
export type { NodeConfig, NodeConfigInput } from './node-config.js';
export type { NodeStatus, TreeNodeStatus } from './node-status.js';
export type { FaultKind } from './worker-control.js';
export * from './errors.js';
