/**
 * The identity actor's standing as the node's operations show it: its latest `identity.state`
 * in `x0tta6bl4 status` (waiting always says why), in systemd's STATUS=, and as a readiness
 * verdict: a node without its SVID cannot link, so it is not ready.
 */
import type { StatusFormat } from '../runtime/contracts/subsystem-standing.js';
import { identityStateSchema, type IdentityStateMessage } from '../../lib/spiffe/identity-state.js';

export const identityStatusFormat: StatusFormat<IdentityStateMessage> = {
  actor: 'identity',
  topic: 'identity.state',
  schema: identityStateSchema,

  lines(identity, { printable, timestamp }) {
    const source = `${identity.mode === 'embedded' ? 'embedded trust domain' : 'agent'} ${printable(identity.endpoint)}`;
    switch (identity.status) {
      case 'ready':
        return [`identity: ${printable(identity.spiffeId ?? '?')} from the ${source}, expires ${timestamp(identity.expiresAt ?? 0)}`];
      case 'waiting':
        return [`identity: waiting for an SVID from the ${source}: ${printable(identity.reason ?? 'no answer yet')}`];
      case 'failed':
        return [`identity: FAILED, ${printable(identity.reason ?? 'unknown reason')} (${source})`];
      case 'connecting':
        return [`identity: connecting to the ${source}`];
    }
  },

  summary(identity) {
    return identity.status === 'ready' ? `identity ${identity.spiffeId ?? '?'}` : `identity ${identity.status}`;
  },

  ready(identity) {
    if (identity?.status !== 'ready') {
      return { ok: false, reason: `no SVID yet: identity is ${identity?.status ?? 'connecting'}${identity?.reason ? ` (${identity.reason})` : ''}` };
    }
    return { ok: true, reason: identity.spiffeId ?? '' };
  },
};
