/**
 * The executor actor: the executor machine with the knowledge base as its ports (actions,
 * outcomes, incident phases). Every write is idempotent, so a message processed again after a
 * crash changes nothing twice: an action is recorded under the id the machine allocated, an
 * ended action is not ended again, a phase already passed is not marked again.
 */
import { createExecutorMachine, type ExecutorPorts } from '../../machines/executor.js';
import { createIncidentStore } from '../../store/incidents.js';
import { TargetBusyError } from '../../store/knowledge-base-errors.js';
import { createOutcomeStore } from '../../store/outcomes.js';
import { createUnfinishedActionStore } from '../../store/unfinished-actions.js';
import { defineStoreActor } from '../runtime/actor-kit/store-actor.js';
import { markOnce } from '../../store/incident-marks.js';
import { nextFreeId } from '../../store/next-free-id.js';

export default defineStoreActor((store) => {
  const outcomes = createOutcomeStore(store);
  const incidents = createIncidentStore(store);
  const finish = store.transaction((actionId: number, end: 'succeeded' | 'failed' | 'rolled_back', success: boolean, at: number, detail: string) => {
    const action = outcomes.getAction(actionId);
    if (!action || (action.status !== 'pending' && action.status !== 'running')) return;
    outcomes.finishAction(actionId, end, Math.max(at, action.startedAt ?? at));
    outcomes.recordOutcome({ actionId, success, verifiedAt: Math.max(at, action.startedAt ?? at), detail: { detail } });
  });
  const ports: ExecutorPorts = {
    now: () => Date.now(),
    startAction(action) {
      try {
        outcomes.startAction({ ...action, status: 'pending' });
        return 'started';
      } catch (error) {
        if (error instanceof TargetBusyError) return 'busy';
        throw error;
      }
    },
    executing(incidentId, at) {
      markOnce(incidents, incidentId, 'executing', at);
    },
    finish(actionId, end, success, at, detail) {
      finish.immediate(actionId, end, success, at, detail);
    },
    recovered(incidentId, at) {
      markOnce(incidents, incidentId, 'recovered', at);
    },
    failed(incidentId, at, reason) {
      markOnce(incidents, incidentId, 'failed', at, { failure: reason });
    },
  };
  const orphans = createUnfinishedActionStore(store)
    .unfinishedActions()
    .map((action) => ({ actionId: action.id, incidentId: action.incidentId }));
  return createExecutorMachine(ports, { firstActionId: nextFreeId(store, 'actions'), orphans });
});
