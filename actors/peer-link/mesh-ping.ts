/**
 * End-to-end pings over the mesh, as `tailscale ping` does over its data path: each ping is an
 * end-to-end message (end-to-end.ts) on the reserved topic `$ping`, sealed for the destination and
 * carried by whatever route leads there; the destination's peer link answers on `$pong` with the
 * hops the ping took, and the origin measures the round trip and reads the hops the answer took. So
 * a ping shows what an actor's message meets: the route, the forwarders, the end-to-end session.
 *
 * Answers are matched by a random nonce per request and a sequence number: a pong for no pending
 * ping (late, or never asked) is dropped. Pending pings are bounded.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { MeshPingReply, MeshPingRequest, MeshPingResult } from '../../lib/mesh/mesh-ping-result.js';
import type { Clock } from '../../lib/timing/clock.js';

export const PING_TOPIC = '$ping';
export const PONG_TOPIC = '$pong';
/** Pings waiting for their answer at once, across requests: a few operators' pings, never a flood. */
export const MAX_PENDING_PINGS = 256;

const pingSchema = z.strictObject({ nonce: z.string().regex(/^[0-9a-f]{32}$/), seq: z.int().min(1).max(1_000) });
const pongSchema = pingSchema.extend({ hopsOut: z.int().min(0).max(255) });

export interface MeshPingPorts {
  clock: Clock;
  /** Sends an end-to-end message on a reserved topic; false when it was refused. */
  send(to: string, topic: string, payload: Buffer): boolean;
  /** The route's next hop to a destination now. */
  nextHop(destination: string): string | undefined;
}

interface Pending {
  sentAt: number;
  via: string | undefined;
  settle(reply: MeshPingReply): void;
}

export class MeshPing {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ports: MeshPingPorts) {}

  /** Sends `count` pings to `to`, one every `intervalMs`, and resolves once each is answered or timed out. */
  async ping(request: MeshPingRequest): Promise<MeshPingResult> {
    const nonce = randomBytes(16).toString('hex');
    const replies: Promise<MeshPingReply>[] = [];
    for (let seq = 1; seq <= request.count; seq++) {
      if (seq > 1) await new Promise((resolve) => this.ports.clock.setTimeout(() => resolve(undefined), request.intervalMs));
      const { sent, reply } = this.sendOne(request.to, nonce, seq, request.timeoutMs);
      if (!sent && seq === 1) return { to: request.to, replies: [], refused: 'the destination is not admitted, this node holds its limit of messages for it, or it has no identity yet' };
      replies.push(reply);
    }
    return { to: request.to, replies: await Promise.all(replies) };
  }

  /** A `$ping` or `$pong` an end-to-end message brought (`hops`: how many it took). */
  receive(origin: string, topic: string, payload: Buffer, hops: number): void {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (topic === PING_TOPIC) {
      const ping = pingSchema.safeParse(body);
      if (ping.success) this.ports.send(origin, PONG_TOPIC, Buffer.from(JSON.stringify({ ...ping.data, hopsOut: hops })));
      return;
    }
    const pong = pongSchema.safeParse(body);
    if (!pong.success) return;
    const key = `${pong.data.nonce}/${pong.data.seq}`;
    const pending = this.pending.get(key);
    if (!pending) return;
    const rttMs = Math.round((this.ports.clock.monotonicNow() - pending.sentAt) * 100) / 100;
    pending.settle({ seq: pong.data.seq, rttMs, hopsOut: pong.data.hopsOut, hopsBack: hops, ...(pending.via !== undefined ? { via: pending.via } : {}) });
  }

  /** One ping: whether it was sent, and its reply (without a round trip when it was not sent or timed out). */
  private sendOne(to: string, nonce: string, seq: number, timeoutMs: number): { sent: boolean; reply: Promise<MeshPingReply> } {
    if (this.pending.size >= MAX_PENDING_PINGS) return { sent: false, reply: Promise.resolve({ seq }) };
    const key = `${nonce}/${seq}`;
    const via = this.ports.nextHop(to);
    let sent = false;
    const reply = new Promise<MeshPingReply>((resolve) => {
      const timer = this.ports.clock.setTimeout(() => settle({ seq, ...(via !== undefined ? { via } : {}) }), timeoutMs);
      const settle = (answer: MeshPingReply) => {
        this.ports.clock.clearTimeout(timer);
        this.pending.delete(key);
        resolve(answer);
      };
      this.pending.set(key, { sentAt: this.ports.clock.monotonicNow(), via, settle });
      sent = this.ports.send(to, PING_TOPIC, Buffer.from(JSON.stringify({ nonce, seq })));
      if (!sent) settle({ seq });
    });
    return { sent, reply };
  }
}
