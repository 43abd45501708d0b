/**
 * `x0tta6bl4 peers [--json]`: the members the running node knows by gossip (their state, whether
 * it holds a link to them and how that link stands: its failure detector's phi and round trip;
 * the route to them: next hop and metric; where they can be reached, their incarnation),
 * from its status over the control socket. A node that runs no peer link says so and exits with
 * the usage code: there is nothing it could know.
 */
import { nodeStatusSchema, type MeshStatus } from '../actors/runtime/index.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl } from './control-client.js';
import { printable } from './format-status.js';
import { UsageError } from './usage-error.js';
import type { MemberState } from '../lib/mesh/membership-state.js';

export interface PeerRow {
  spiffeId: string;
  state: MemberState['state'];
  incarnation: string;
  addresses: string[];
  /** The link to it, when this node holds one: which side dials, whether it is up, and while up its failure detector's phi and the heartbeats' round trip. */
  link?: { role: 'dialer' | 'acceptor'; status: 'connecting' | 'up' | 'down'; phi?: number; rttMs?: number };
  /** The route to it, when this node has one: the neighbour it goes through and its metric. */
  route?: { nextHop: string; metric: number };
}

/** One row per member, with the link to it (a link that is up over one that is not). */
export function peerRows(mesh: MeshStatus): PeerRow[] {
  return mesh.membership.members.map((member) => {
    const links = mesh.links.filter((link) => link.peer === member.spiffeId);
    const link = links.find((candidate) => candidate.status === 'up') ?? links[0];
    const route = mesh.routing.routes.find((candidate) => candidate.destination === member.spiffeId);
    return {
      spiffeId: member.spiffeId,
      state: member.state,
      incarnation: member.incarnation,
      addresses: member.addresses,
      ...(link
        ? { link: { role: link.role, status: link.status, ...(link.phi !== undefined ? { phi: link.phi } : {}), ...(link.rttMs !== undefined ? { rttMs: link.rttMs } : {}) } }
        : {}),
      ...(route ? { route: { nextHop: route.nextHop, metric: route.metric } } : {}),
    };
  });
}

export function formatPeers(mesh: MeshStatus): string {
  const rows = peerRows(mesh);
  const head = `${printable(mesh.spiffeId ?? 'this node')}: ${rows.length} member${rows.length === 1 ? '' : 's'} known`;
  const lines = rows.map((row) => {
    const detector = row.link?.phi !== undefined ? ` phi ${row.link.phi.toFixed(2)}${row.link.rttMs !== undefined ? ` rtt ${row.link.rttMs.toFixed(2)} ms` : ''}` : '';
    const link = row.link ? `${row.link.role === 'dialer' ? '→' : '←'} ${row.link.status}${detector}` : 'no link';
    const where = row.addresses.length > 0 ? row.addresses.map(printable).join(', ') : '(no address)';
    const route = row.route ? (row.route.nextHop === row.spiffeId ? `direct, metric ${row.route.metric}` : `via ${printable(row.route.nextHop)}, metric ${row.route.metric}`) : 'no route';
    return `  ${printable(row.spiffeId)}  ${row.state}  ${link}  ${route}  ${where}  incarnation ${row.incarnation}`;
  });
  return `${[head, ...lines].join('\n')}\n`;
}

export async function peersCommand(flags: ConfigFlags & { json?: boolean }): Promise<void> {
  const config = configFromFlags(flags);
  const status = nodeStatusSchema.parse(await callControl(config.controlSocket, 'status'));
  if (!status.mesh) throw new UsageError('the node runs no peer link (configure mesh.listen or mesh.peers)');
  process.stdout.write(flags.json ? `${JSON.stringify({ spiffeId: status.mesh.spiffeId, incarnation: status.mesh.membership.incarnation, members: peerRows(status.mesh) }, null, 2)}\n` : formatPeers(status.mesh));
}
