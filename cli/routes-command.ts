/**
 * `x0tta6bl4 routes [--json]`: the routes the running node uses to reach each member (the
 * neighbour messages go through, the metric, the destination's sequence number; Babel's table,
 * actors/peer-link/mesh-routing.ts), from its status over the control socket. Exits 2 when the node
 * runs no peer link, as `peers` does.
 */
import { nodeStatusSchema, type MeshStatus } from '../actors/runtime/index.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl } from './control-client.js';
import { printable } from './format-status.js';
import { UsageError } from './usage-error.js';

export function formatRoutes(mesh: MeshStatus): string {
  const { routing } = mesh;
  const routes = [...routing.routes].sort((a, b) => a.destination.localeCompare(b.destination));
  const head = `${printable(mesh.spiffeId ?? 'this node')}: ${routes.length} route${routes.length === 1 ? '' : 's'} (seqno ${routing.seqno}, ${routing.routeChanges} changes)`;
  const lines = routes.map((route) => `  ${printable(route.destination)}  ${route.nextHop === route.destination ? 'direct' : `via ${printable(route.nextHop)}`}  metric ${route.metric}  seqno ${route.seqno}`);
  return `${[head, ...lines].join('\n')}\n`;
}

export async function routesCommand(flags: ConfigFlags & { json?: boolean }): Promise<void> {
  const config = configFromFlags(flags);
  const status = nodeStatusSchema.parse(await callControl(config.controlSocket, 'status'));
  if (!status.mesh) throw new UsageError('the node runs no peer link (configure mesh.listen or mesh.peers)');
  process.stdout.write(flags.json ? `${JSON.stringify({ spiffeId: status.mesh.spiffeId, ...status.mesh.routing }, null, 2)}\n` : formatRoutes(status.mesh));
}
