/**
 * `x0tta6bl4 mesh ping <spiffe-id> [--count N]`: end-to-end pings from the running node to any
 * member, over the mesh's routes and sealed for it as an actor's message is (as `tailscale ping`
 * goes over its data path): each reply's round trip, the neighbour it went through and the hops
 * it took each way. Exits 1 when no ping was answered (the destination is unreachable), 2 when the
 * node runs no peer link.
 */
import { meshPingResultSchema, type MeshPingResult } from '../lib/mesh/mesh-ping-result.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl, DEFAULT_CONTROL_TIMEOUT_MS } from './control-client.js';
import { printable } from './format-status.js';

/** No ping was answered: the destination cannot be reached over the mesh now. */
export class MeshUnreachableError extends Error {
  override readonly name = 'MeshUnreachableError';
}

export interface MeshPingFlags extends ConfigFlags {
  count?: string;
  interval?: string;
  timeout?: string;
  json?: boolean;
}

export function formatPing(result: MeshPingResult, timeoutMs: number): string {
  const to = printable(result.to);
  if (result.refused !== undefined) return `no ping sent to ${to}: ${printable(result.refused)}\n`;
  const lines = result.replies.map((reply) =>
    reply.rttMs === undefined
      ? `no reply from ${to} to ping ${reply.seq} within ${timeoutMs} ms${reply.via === undefined ? ' (no route)' : ''}`
      : `pong from ${to} via ${printable(reply.via ?? '?')} in ${reply.rttMs.toFixed(2)} ms (${reply.hopsOut} hop${reply.hopsOut === 1 ? '' : 's'} out, ${reply.hopsBack} back)`,
  );
  const rtts = result.replies.flatMap((reply) => (reply.rttMs === undefined ? [] : [reply.rttMs])).sort((a, b) => a - b);
  const summary =
    rtts.length > 0
      ? `${result.replies.length} sent, ${rtts.length} answered; round trip min ${rtts[0]!.toFixed(2)}, median ${rtts[Math.floor((rtts.length - 1) / 2)]!.toFixed(2)}, max ${rtts.at(-1)!.toFixed(2)} ms`
      : `${result.replies.length} sent, none answered`;
  return `${[...lines, summary].join('\n')}\n`;
}

const integer = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text));

export async function meshPingCommand(to: string, flags: MeshPingFlags): Promise<void> {
  const config = configFromFlags(flags);
  const request = { to, count: integer(flags.count, 4), intervalMs: integer(flags.interval, 200), timeoutMs: integer(flags.timeout, 2_000) };
  // The node answers once every ping is answered or timed out: the call waits that long, and a little more.
  const waitMs = (request.count - 1) * request.intervalMs + request.timeoutMs + DEFAULT_CONTROL_TIMEOUT_MS;
  const result = meshPingResultSchema.parse(await callControl(config.controlSocket, 'mesh.ping', request, { timeoutMs: waitMs }));
  process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatPing(result, request.timeoutMs));
  if (!result.replies.some((reply) => reply.rttMs !== undefined)) throw new MeshUnreachableError(`${result.to} did not answer`);
}
