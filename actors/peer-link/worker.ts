/**
 * The peer-link actor: its machine with the node's links as an invoked actor. Their SVID
 * comes from the Workload API, like any SPIFFE workload's: the SPIRE agent's socket, or the
 * embedded trust domain's socket the identity actor serves. Private keys never cross the bus.
 *
 * Not persistent: links are live state. A restarted actor dials again and its peers see a new
 * incarnation (link-stream.ts).
 */
import { fromCallback } from 'xstate';
import { z } from 'zod';
import { parseHostPort } from '../../lib/net/host-port.js';
import { parseEndpointAddress } from '../../lib/spiffe/endpoint-address.js';
import { chooseVerifiedSvid } from '../../lib/spiffe/svid-choice.js';
import { X509ContextWatcher } from '../../lib/spiffe/workload-api-client.js';
import { failureDetectionTimings } from '../../lib/mesh/failure-detection.js';
import { meshOptionsSchema } from '../../lib/mesh/mesh-options.js';
import { meshPingRequestSchema } from '../../lib/mesh/mesh-ping-result.js';
import { linkFaultRequestSchema, meshRemedyRequestSchema, type LinkFaultRequest, type MeshRemedyRequest, type MeshRemedyResult } from '../../lib/mesh/mesh-remedy.js';
import { realClock } from '../../lib/timing/clock.js';
import type { TelemetrySample } from '../../lib/mape/telemetry.js';
import { realRandom } from '../../lib/timing/random.js';
import { createPeerLinkMachine, type PeerLinkEvent } from '../../machines/peer-link.js';
import { defineActor } from '../runtime/contracts/actor.js';
import { parseActorOptions } from '../runtime/actor-kit/actor-options.js';
import { createLogger } from '../runtime/actor-kit/logger.js';
import { MAX_MESH_PAYLOAD_BYTES, MAX_TOPIC_BYTES } from '../../lib/mesh/mesh-envelope.js';
import { isControlTopic, PeerLinks } from './peer-links.js';

/** The mesh options as the configuration has them (one schema for both), and where this actor gets its SVID. */
const optionsSchema = meshOptionsSchema.extend({
  workloadSocket: z.string().min(1),
  hint: z.string().min(1).optional(),
  spiffeId: z.string().min(1).optional(),
  logLevel: z.string().min(1).optional(),
  nodeKeyFile: z.string().min(1).optional(),
  /** The mesh's telemetry for the MAPE-K loop, this often (ms); none without. */
  telemetryEveryMs: z.int().min(10).optional(),
  /** Whether chaos may inject link faults (never in production mode). */
  chaos: z.boolean().default(false),
});

const sendSchema = z.strictObject({
  to: z.string().min(1),
  topic: z
    .string()
    .min(1)
    .refine((topic) => !isControlTopic(topic), 'a topic starting with $ is reserved for the links')
    .refine((topic) => Buffer.byteLength(topic, 'utf8') <= MAX_TOPIC_BYTES, `a topic is at most ${MAX_TOPIC_BYTES} bytes of UTF-8`),
  payload: z.json(),
});

export default defineActor({
  persistent: false,
  createMachine(io) {
    const options = parseActorOptions(optionsSchema, io.options);
    const address = parseEndpointAddress(options.workloadSocket);
    const log = createLogger(options.logLevel ?? 'info').child({ actor: io.actorId });
    const preference = { ...(options.hint !== undefined ? { hint: options.hint } : {}), ...(options.spiffeId !== undefined ? { spiffeId: options.spiffeId } : {}) };

    const transportLogic = fromCallback<PeerLinkEvent, undefined, PeerLinkEvent>(({ sendBack, receive }) => {
      const links = new PeerLinks({
        clock: realClock,
        random: realRandom,
        ...(options.listen !== undefined ? { listen: parseHostPort(options.listen, { allowAnyPort: true }) } : {}),
        peers: options.peers.map((peer) => ({ address: parseHostPort(peer.address), spiffeId: peer.spiffeId })),
        authorize: options.authorize,
        postQuantum: options.postQuantum,
        ...failureDetectionTimings(options.failureDetection),
        ...(options.nodeKeyFile !== undefined ? { nodeKeyFile: options.nodeKeyFile } : {}),
        ...(options.advertise !== undefined ? { advertise: options.advertise } : {}),
        onMessage: (from, topic, payload) => sendBack({ type: 'transport.received', message: { from, topic, payload } }),
        onState: (state) => sendBack({ type: 'transport.state', state }),
        onLog: (level, message, fields) => log[level](fields, message),
        onInput: (count) => io.inputHandled(count),
        allowChaos: options.chaos,
        ...(options.telemetryEveryMs !== undefined ? { telemetryEveryMs: options.telemetryEveryMs, onTelemetry: (sample: TelemetrySample) => sendBack({ type: 'transport.telemetry', sample }) } : {}),
      });
      // The bus pushing back on this actor's mesh.recv reaches the peers as TCP backpressure.
      links.holdReading(io.pressure.held);
      const stopHolding = io.pressure.onChange((held) => links.holdReading(held));
      let serving = false;
      const watcher = new X509ContextWatcher({
        address,
        onUpdate: (context) => {
          chooseVerifiedSvid(context, preference)
            .then(({ entry, verified }) =>
              links.updateCredentials({
                chain: entry.chain,
                privateKey: entry.privateKey,
                bundles: context.bundles,
                spiffeId: verified.spiffeId.id,
                trustDomain: verified.spiffeId.trustDomain,
                expiresAt: verified.expiresAt.getTime(),
              }),
            )
            .then(
              () => {
                if (!serving) sendBack({ type: 'transport.ready' });
                serving = true;
              },
              (error: Error) => {
                // The first SVID failing leaves nothing to serve with; a later one keeps the current SVID in use.
                if (!serving) sendBack({ type: 'transport.failed', reason: `${error.name}: ${error.message}` });
                else log.warn({ err: error }, 'a new SVID could not be used; links keep the current one');
              },
            );
        },
        onState: (state) => {
          if (state.status === 'waiting') log.info({ reason: state.reason, retryInMs: state.retryInMs }, 'peer link waiting for an SVID');
        },
        onBadMessage: (error) => log.warn({ err: error }, 'the Workload API sent an unusable message'),
      });
      watcher.start();
      receive((event) => {
        if (event.type === 'mesh.remedy' || event.type === 'mesh.fault') {
          sendBack({ type: 'transport.answered', requestId: event.requestId ?? '', result: answer(links, event) });
          return;
        }
        if (event.type === 'mesh.ping') {
          const requestId = event.requestId ?? '';
          const request = meshPingRequestSchema.safeParse(event.payload);
          if (!request.success) {
            sendBack({ type: 'transport.pinged', requestId, result: { to: '', replies: [], refused: `a malformed ping request: ${request.error.issues[0]?.message ?? 'invalid'}` } });
            return;
          }
          links.ping(request.data).then(
            (result) => sendBack({ type: 'transport.pinged', requestId, result }),
            (error: Error) => sendBack({ type: 'transport.pinged', requestId, result: { to: request.data.to, replies: [], refused: `${error.name}: ${error.message}` } }),
          );
          return;
        }
        if (event.type !== 'mesh.send') return;
        const message = sendSchema.safeParse(event.payload);
        if (!message.success) {
          log.warn({ issue: message.error.issues[0]?.message }, 'dropped a malformed mesh.send');
          return;
        }
        const body = Buffer.from(JSON.stringify(message.data.payload), 'utf8');
        if (body.length > MAX_MESH_PAYLOAD_BYTES) {
          log.warn({ to: message.data.to, topic: message.data.topic, bytes: body.length }, `dropped a mesh.send above ${MAX_MESH_PAYLOAD_BYTES} bytes`);
          return;
        }
        links.sendEndToEnd(message.data.to, message.data.topic, body);
      });
      return () => {
        stopHolding();
        watcher.stop();
        links.stop().catch((error: unknown) => log.warn({ err: error }, 'the peer links did not stop cleanly'));
      };
    });
    return createPeerLinkMachine(transportLogic);
  },
});

/** A remedy or a link fault, checked (it crossed a thread) and performed; a malformed one is answered as refused. */
function answer(links: PeerLinks, event: { type: 'mesh.remedy' | 'mesh.fault'; payload: unknown }): MeshRemedyResult {
  const parsed = event.type === 'mesh.remedy' ? meshRemedyRequestSchema.safeParse(event.payload) : linkFaultRequestSchema.safeParse(event.payload);
  if (!parsed.success) return { ok: false, detail: `a malformed ${event.type} request: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return event.type === 'mesh.remedy' ? links.remedy(parsed.data as MeshRemedyRequest) : links.fault(parsed.data as LinkFaultRequest);
}
