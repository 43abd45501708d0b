/** The programmatic API of x0tta6bl4 (package entry point): see README.md, "Programmatic API". The CLI uses only this. */
export { createNode, DATABASE_FILE_NAME, type NodeOptions, type X0tta6bl4Node } from './node.js';
export type { NodeOpsOptions } from './ops/node-ops.js';
export { defineActor, type ActorDefinition, type ActorIo } from './contracts/actor.js';
export { defineTopics, type TopicDeclarations, type TopicSpec, type OverflowPolicy } from './bus/topic-registry.js';
export type { BusEvent, BusEmitted } from './contracts/envelope.js';
export type { ChildSpec, ActorChildSpec, SupervisorSpec, Strategy, RestartType } from './contracts/supervision-spec.js';
export { parseNodeConfig, lookupConfigKey, type NodeConfig, type NodeConfigInput } from './config/node-config.js';
export { ConfigError, type ConfigIssue } from './config/config-error.js';
export { createLogger, type Logger } from './actor-kit/logger.js';
export {
  nodeStatusSchema,
  type NodeStatus,
  type TreeNodeStatus,
  type SupervisorStatus,
  type ActorStatus,
  type MailboxStatus,
  type MapeStatus,
  type IdentityStatus,
  type MeshStatus,
} from './ops/node-status.js';
export { subsystemStandings } from './config/subsystem-standings.js';
export { HEAP_FLAGS } from './config/heap-flags.js';
export type { StatusText, SubsystemStanding, StatusFormat, StandingMetric, Verdict } from './contracts/subsystem-standing.js';
export { controlResponseSchema } from './ops/control-server.js';
export type { FaultKind } from './host/worker/worker-control.js';
export { realClock, type Clock, type TimerHandle } from './contracts/clock.js';
export { realRandom, type Random } from './contracts/random.js';
export { VirtualClock, type VirtualClockOptions } from '../../lib/timing/virtual-clock.js';
export { seededRandom } from '../../lib/timing/seeded-random.js';
export * from './errors.js';
export { StoreCorruptError, StoreVersionError } from '../../store/errors.js';
