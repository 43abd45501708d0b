/** The identity actor's Prometheus series, read from its latest `identity.state` at scrape time. */
import type { StandingMetric } from '../runtime/contracts/subsystem-standing.js';
import type { IdentityStateMessage } from '../../lib/spiffe/identity-state.js';

export const identityMetrics: readonly StandingMetric<IdentityStateMessage>[] = [
  {
    name: 'x0tta6bl4_svid_expiry_timestamp_seconds',
    help: "When the node's current X.509-SVID expires (Unix time).",
    type: 'gauge',
    read: (identity) => (identity.expiresAt !== undefined ? [{ value: identity.expiresAt / 1000 }] : []),
  },
  {
    name: 'x0tta6bl4_svid_updates_total',
    help: 'X.509-SVIDs received from the Workload API (the first and each rotation).',
    type: 'counter',
    read: (identity) => [{ value: identity.updates }],
  },
  {
    name: 'x0tta6bl4_identity_ready',
    help: '1 while the node holds a verified SVID, else 0.',
    type: 'gauge',
    read: (identity) => [{ value: identity.status === 'ready' ? 1 : 0 }],
  },
];
