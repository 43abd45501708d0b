/**
 * `x0tta6bl4 status` for humans: a header about the node and the bus, each subsystem's standing
 * (written by its own status formatter), the self-healing loop, then the supervision tree,
 * one line per supervisor or actor. Overflow counters appear only when non-zero, so a line that
 * mentions `dropped`, `rejected` or `blocked` is one to look at.
 */
import {
  subsystemStandings,
  type ActorStatus,
  type MailboxStatus,
  type MapeStatus,
  type NodeStatus,
  type StatusText,
  type SupervisorStatus,
  type TreeNodeStatus,
} from '../actors/runtime/index.js';

/** What the formatters of the subsystems' standings write with: the node's text made harmless. */
const text: StatusText = { printable, timestamp: formatTimestamp };

export function formatStatus(status: NodeStatus): string {
  const lines = [
    `node ${printable(status.nodeId)} (${status.production ? 'production' : 'development'})  run ${printable(status.runId)}`,
    `started ${formatTimestamp(status.startedAt)}, up ${formatDuration(status.uptimeMs)}`,
    `bus: ${status.bus.published} published, ${status.bus.delivered} delivered, ${status.bus.malformed} malformed${status.bus.heldMax > 0 ? `, at most ${status.bus.heldMax} held behind a full mailbox` : ''}`,
    ...standingLines(status),
    ...(status.mape ? mapeLines(status.mape) : []),
    '',
    ...treeLines(status.tree, '', ''),
  ];
  return `${lines.join('\n')}\n`;
}

/** Each subsystem's latest state, in its own formatter's words, in the order the standings are registered. */
function standingLines(status: NodeStatus): string[] {
  return Object.entries(subsystemStandings).flatMap(([name, { format }]) => {
    const state = status[name as keyof typeof subsystemStandings];
    return state === undefined ? [] : format.lines(state as never, text);
  });
}

/** The loop's phase, its open incidents, and the plans held for governance. */
function mapeLines(mape: MapeStatus): string[] {
  const lines = [`self-healing: ${mape.phase}, ${mape.open.length} open, ${mape.recovered} recovered, ${mape.failed} failed`];
  for (const incident of mape.open) {
    const held = incident.status === 'held' ? ' (held for governance: its risk is at or above mape.riskThreshold)' : '';
    lines.push(`  incident #${incident.id} ${incident.status}: ${printable(incident.cause ?? '?')} on ${printable(incident.target ?? '?')}${held}`);
  }
  return lines;
}

/** `prefix` goes before this node's line, `childPrefix` before its children's: the tree's drawing so far. */
function treeLines(node: TreeNodeStatus, prefix: string, childPrefix: string): string[] {
  if (node.kind === 'actor') return [prefix + actorLine(node)];
  const lines = [prefix + supervisorLine(node)];
  node.children.forEach((child, index) => {
    const last = index === node.children.length - 1;
    lines.push(...treeLines(child, childPrefix + (last ? '└─ ' : '├─ '), childPrefix + (last ? '   ' : '│  ')));
  });
  return lines;
}

function supervisorLine(node: SupervisorStatus): string {
  return `${printable(node.id)}  supervisor ${node.strategy}  restarts ${node.restarts}`;
}

function actorLine(node: ActorStatus): string {
  return [
    printable(node.id),
    node.state,
    node.host,
    `state: ${printable(formatMachineState(node.machineState))}`,
    `restarts ${node.restarts}`,
    formatMailbox(node.mailbox),
  ].join('  ');
}

function formatMailbox(mailbox: MailboxStatus): string {
  const parts = [`mailbox ${mailbox.depth}/${mailbox.capacity}`, `inflight ${mailbox.inflight}`];
  if (mailbox.dropped > 0) parts.push(`dropped ${mailbox.dropped}`);
  if (mailbox.rejected > 0) parts.push(`rejected ${mailbox.rejected}`);
  if (mailbox.blocked > 0) parts.push(`blocked ${mailbox.blocked}`);
  return parts.join(' ');
}

/**
 * An XState state value as a path: `idle`; `connecting.handshake` for nested states; parallel
 * regions in braces, `{rx.open, tx.idle}`.
 */
export function formatMachineState(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const regions = Object.entries(value as Record<string, unknown>).map(([key, inner]) =>
      inner === undefined || inner === null || (typeof inner === 'object' && Object.keys(inner).length === 0)
        ? key
        : `${key}.${formatMachineState(inner)}`,
    );
    return regions.length === 1 ? (regions[0] ?? '') : `{${regions.join(', ')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

/** `850ms`, `42s`, `3m 07s`, `5h 03m 07s`, `2d 05h 03m`: seconds stop mattering once days do. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${pad(hours)}h ${pad(minutes)}m`;
  if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

function formatTimestamp(epochMs: number): string {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? String(epochMs) : date.toISOString();
}

/** The status comes from another process: control characters in it must not drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
