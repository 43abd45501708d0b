/** Serves `runtime.command` from the bus in the main thread and answers with `runtime.command.result`. */
import type { Database } from 'better-sqlite3';
import { isMeshCommand, type RuntimeCommand } from '../../../lib/mape/actions.js';
import { createDeadLetterStore } from '../../../store/dead-letters.js';
import { createOutcomeStore } from '../../../store/outcomes.js';
import type { BusRouter } from '../bus/bus-router.js';
import type { ActorRegistry } from '../bus/actor-registry.js';
import type { Clock } from '../contracts/clock.js';
import type { Logger } from '../actor-kit/logger.js';
import { performCommand } from './remediation-commands.js';
import { RUNTIME_SENDER } from './runtime-sampler.js';
import { meshRemedyResultSchema } from '../../../lib/mesh/mesh-remedy.js';
import { PEER_LINK_ACTOR } from '../config/actor-ids.js';

/**
 * A remedy is a few map updates in the peer-link actor: an answer later than this is a stuck actor.
 * The request carries this deadline too, so a stuck actor that gets to it later does not perform
 * what the executor has already counted as refused (and moved on from).
 */
const MESH_REMEDY_TIMEOUT_MS = 5_000;

export interface RemediationCommandServerInit {
  bus: BusRouter;
  actors: ActorRegistry;
  /** Shed deadlines and outcome times are read from it. */
  clock: Clock;
  db: Database;
  log: Logger;
  shedTtlMs: number;
  restartSubtreeOf(actorId: string): Promise<boolean>;
  /** An action was performed on a local actor (not undone, not a mesh remedy): its verification may start. */
  performed?(actorId: string): void;
}

export class RemediationCommandServer {
  private readonly unsubscribe: () => void;
  /** Commands run one at a time, in arrival order: two actions never interleave their effects. */
  private chain: Promise<void> = Promise.resolve();

  constructor(init: RemediationCommandServerInit) {
    const outcomes = createOutcomeStore(init.db);
    const deadLetters = createDeadLetterStore(init.db);
    this.unsubscribe = init.bus.subscribe('runtime.command', (payload) => {
      const command = payload as RuntimeCommand;
      this.chain = this.chain.then(async () => {
        const result = await performCommand(command, {
          cell: (actorId) => init.actors.find(actorId),
          restartSubtreeOf: init.restartSubtreeOf,
          outcomes,
          deadLetters,
          shedTtlMs: init.shedTtlMs,
          now: () => init.clock.now(),
          meshRemedy: async (kind, target, params) => {
            const durationMs = typeof params.durationMs === 'number' ? params.durationMs : undefined;
            const notAfter = init.clock.now() + MESH_REMEDY_TIMEOUT_MS;
            const reply = await init.bus.request(PEER_LINK_ACTOR, 'mesh.remedy', { kind, target, notAfter, ...(durationMs !== undefined ? { durationMs } : {}) }, { timeoutMs: MESH_REMEDY_TIMEOUT_MS });
            return meshRemedyResultSchema.parse(reply);
          },
        }).catch((error: unknown) => ({
          commandId: command.commandId,
          ok: false,
          detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }));
        init.log.info({ command, result }, 'remediation command');
        if (result.ok && !isMeshCommand(command.kind) && command.kind !== 'unshed-topic') init.performed?.(command.target);
        await init.bus.publishFrom(RUNTIME_SENDER, 'runtime.command.result', result).catch((error: unknown) => {
          init.log.warn({ err: error, command }, 'remediation result not delivered');
        });
      });
    });
  }

  stop(): void {
    this.unsubscribe();
  }
}
