/**
 * The peer-link actor's standing as the node's operations show it: its latest `mesh.links` in
 * `x0tta6bl4 status` (the listener, then one line per link; a link that is not up says why) and
 * in systemd's STATUS=. It never holds readiness back: a node without links still serves.
 */
import type { StatusFormat } from '../runtime/contracts/subsystem-standing.js';
import { meshLinksSchema, type MeshLinksMessage } from '../../lib/mesh/links-state.js';
import type { EndToEndState } from '../../lib/mesh/end-to-end-state.js';
import type { MembershipState } from '../../lib/mesh/membership-state.js';
import type { RoutingState } from '../../lib/mesh/routing-state.js';

const byReason = (counts: Partial<Record<string, number>>) =>
  Object.entries(counts)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
const total = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce<number>((sum, count) => sum + (count ?? 0), 0);

/** The routes this node uses, one line each, after a line of its sequence number, changes and refusals. */
function routingLines(routing: RoutingState, printable: (text: string) => string): string[] {
  const refused = total(routing.refused) > 0 ? `, ${total(routing.refused)} route entries REFUSED (${byReason(routing.refused)})` : '';
  const lines = [`routes: ${routing.routes.length} (seqno ${routing.seqno}; ${routing.routeChanges} changes${refused})`];
  for (const route of routing.routes) lines.push(`  ${printable(route.destination)} via ${printable(route.nextHop)}, metric ${route.metric}`);
  return lines;
}

/** Messages to and from any member over the routes: one line, with what was dropped or refused by reason. */
function endToEndLine(e2e: EndToEndState): string {
  const dropped = total(e2e.dropped) > 0 ? `; ${total(e2e.dropped)} DROPPED (${byReason(e2e.dropped)})` : '';
  const refused = total(e2e.refused) > 0 ? `; ${total(e2e.refused)} REFUSED (${byReason(e2e.refused)})` : '';
  return `end to end: ${e2e.sent} sent (${e2e.resent} resent, ${e2e.held} unacknowledged), ${e2e.delivered} delivered (${e2e.duplicates} duplicates dropped), ${e2e.forwarded} forwarded for others${dropped}${refused}`;
}

/** The members this node knows by gossip, one line each, after a line of what it did with the records it was sent. */
function membershipLines(membership: MembershipState, printable: (text: string) => string): string[] {
  const refusedCount = Object.values(membership.refused).reduce((sum, count) => sum + (count ?? 0), 0);
  const refused =
    refusedCount > 0
      ? `, ${refusedCount} REFUSED (${Object.entries(membership.refused)
          .map(([reason, count]) => `${count} ${reason}`)
          .join(', ')})`
      : '';
  const own = membership.incarnation !== undefined ? `this node's incarnation ${membership.incarnation}; ` : '';
  const verdicts = membership.suspected + membership.declaredDead > 0 ? `; this node suspected ${membership.suspected}, declared ${membership.declaredDead} dead` : '';
  const claims = membership.claims.learned > 0 ? `; ${membership.claims.learned} claims learned` : '';
  const probes = membership.indirectProbes;
  const indirect = probes.asked > 0 ? `; ${probes.asked} indirect probes, ${probes.notSuspected} lost links whose member another reached` : '';
  const lines = [`members: ${membership.members.length} known (${own}${membership.learned} records learned, ${membership.stale} stale${refused}${verdicts}${claims}${indirect})`];
  for (const member of membership.members) {
    const where = member.addresses.length > 0 ? ` at ${member.addresses.map(printable).join(', ')}` : ' (no address)';
    lines.push(`  ${printable(member.spiffeId)} ${member.state}${member.linked ? ', linked' : ''}${where}; incarnation ${member.incarnation}`);
  }
  return lines;
}

export const peerLinkStatusFormat: StatusFormat<MeshLinksMessage> = {
  actor: 'peer-link',
  topic: 'mesh.links',
  schema: meshLinksSchema,

  lines(mesh, { printable, timestamp }) {
    const head =
      mesh.phase === 'waitingForSvid'
        ? 'mesh: waiting for the node SVID before linking'
        : mesh.phase === 'failed'
          ? `mesh: FAILED, ${printable(mesh.reason ?? 'unknown reason')}`
          : `mesh: ${mesh.listening ? `listening on ${printable(mesh.listening)}` : 'not listening'}, ${mesh.links.length} link${mesh.links.length === 1 ? '' : 's'}`;
    const refused = mesh.refused > 0 ? `, ${mesh.refused} refused (last: ${printable(mesh.lastRefusal ?? '?')})` : '';
    const unroutable = mesh.unroutable > 0 ? `, ${mesh.unroutable} unroutable` : '';
    const rejected = mesh.rejectedPayloads['not-json'] + mesh.rejectedPayloads['too-deep'];
    const refusedPayloads = rejected > 0 ? `, ${rejected} peer payloads REFUSED (${mesh.rejectedPayloads['too-deep']} too deep, ${mesh.rejectedPayloads['not-json']} not JSON)` : '';
    const shedCount = mesh.shed['per-address'] + mesh.shed['listener-full'] + mesh.shed['per-peer'];
    const shed =
      shedCount > 0
        ? `, ${shedCount} connections shed (${mesh.shed['per-address']} over an address's cap, ${mesh.shed['listener-full']} with the listener full, ${mesh.shed['per-peer']} over a peer's cap)`
        : '';
    const holds =
      mesh.readHolds > 0
        ? `, reading ${mesh.readingHeld ? 'HELD now' : 'flowing'} (held ${mesh.readHolds} time${mesh.readHolds === 1 ? '' : 's'} while a mesh.recv subscriber was full)`
        : '';
    const lines = [head + refused + unroutable + refusedPayloads + shed + holds];
    for (const link of mesh.links) {
      const where = link.address ? ` at ${printable(link.address)}` : '';
      const traffic = `${link.sent} sent, ${link.delivered} received, ${link.pending} unacknowledged`;
      const extra = [
        link.reauths > 0 ? `${link.reauths} re-authentications` : '',
        link.peerReauthsDeferred > 0 ? `${link.peerReauthsDeferred} peer requests to re-authenticate DEFERRED` : '',
        link.unwritten > 0 ? `${link.unwritten} waiting to be written` : '',
        link.retransmitted > 0 ? `${link.retransmitted} retransmitted` : '',
        link.dropped > 0 ? `${link.dropped} DROPPED` : '',
        link.expiresAt !== undefined ? `SVIDs valid until ${timestamp(link.expiresAt)}` : '',
      ].filter((part) => part !== '');
      const why = link.status !== 'up' && link.lastError ? `: ${printable(link.lastError)}` : '';
      lines.push(`  ${link.role === 'dialer' ? '→' : '←'} ${printable(link.peer)}${where} ${link.status}${why}; ${[traffic, ...extra].join(', ')}`);
    }
    lines.push(...membershipLines(mesh.membership, printable));
    lines.push(...routingLines(mesh.routing, printable), endToEndLine(mesh.endToEnd));
    return lines;
  },

  summary(mesh) {
    const alive = mesh.membership.members.filter((member) => member.state === 'alive').length;
    return `${mesh.links.filter((link) => link.status === 'up').length}/${mesh.links.length} links up, ${alive} member${alive === 1 ? '' : 's'} known alive, ${mesh.routing.routes.length} route${mesh.routing.routes.length === 1 ? '' : 's'}`;
  },
};
