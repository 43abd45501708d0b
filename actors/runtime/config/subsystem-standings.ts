/**
 * Each subsystem's standing (contracts/subsystem-standing.ts), one line per subsystem: its status
 * formatter and its metrics module, under the name `status` carries its latest state by. Like
 * default-tree.ts, this is where the node is assembled: the one runtime file that imports from
 * subsystem folders. A subsystem's standing touches its own folder and one line here.
 */
import type { SubsystemStanding } from '../contracts/subsystem-standing.js';
import { identityStatusFormat } from '../../identity/status-format.js';
import { identityMetrics } from '../../identity/metrics.js';
import { peerLinkStatusFormat } from '../../peer-link/status-format.js';
import { peerLinkMetrics } from '../../peer-link/metrics.js';

export const subsystemStandings = {
  identity: { format: identityStatusFormat, metrics: identityMetrics },
  mesh: { format: peerLinkStatusFormat, metrics: peerLinkMetrics },
} as const satisfies Record<string, SubsystemStanding<unknown>>;
