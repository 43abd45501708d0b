/**
 * The identity actor: its machine with the Workload API stream as an invoked actor. With an agent
 * configured (SPIFFE_ENDPOINT_SOCKET or identity.agentSocket) it connects there; without one it
 * first starts the embedded trust domain (embedded-agent.ts) in this thread and connects to that.
 * Each update's chosen SVID (by hint, else by the configured ID, else the first) is verified
 * against its own trust domain's bundle before the machine hears of it.
 *
 * Not persistent: the agent is the source of truth, and a restarted actor asks it again.
 */
import { fromCallback } from 'xstate';
import { DEFAULT_SVID_TTL_MS } from '../../lib/spiffe/defaults.js';
import { parseEndpointAddress, type EndpointAddress } from '../../lib/spiffe/endpoint-address.js';
import { chooseVerifiedSvid } from '../../lib/spiffe/svid-choice.js';
import { createIdentityMachine, type IdentityEvent } from '../../machines/identity.js';
import { defineActor } from '../runtime/contracts/actor.js';
import { z } from 'zod';
import { actorOption, parseActorOptions } from '../runtime/actor-kit/actor-options.js';
import { createLogger } from '../runtime/actor-kit/logger.js';
import { startEmbeddedAgent, type EmbeddedAgent } from './embedded-agent.js';
import { X509ContextWatcher, type X509Context } from '../../lib/spiffe/workload-api-client.js';

const identityOptionsSchema = z.object({
  dataDir: actorOption.nonEmptyString(),
  agentSocket: actorOption.nonEmptyString().optional(),
  trustDomain: actorOption.nonEmptyString(),
  spiffeId: actorOption.nonEmptyString().optional(),
  hint: actorOption.nonEmptyString().optional(),
  svidTtlMs: actorOption.positiveInt().default(DEFAULT_SVID_TTL_MS),
});
type IdentityOptions = z.output<typeof identityOptionsSchema>;

export default defineActor({
  persistent: false,
  createMachine(io) {
    const options = parseActorOptions(identityOptionsSchema, io.options);
    // An invalid agent address is a configuration error: it fails the start, with the rule broken.
    const agentAddress = options.agentSocket !== undefined ? parseEndpointAddress(options.agentSocket) : undefined;
    const log = createLogger('info').child({ actor: io.actorId });
    const workloadApi = fromCallback<IdentityEvent>(({ sendBack }) => {
      let watcher: X509ContextWatcher | undefined;
      let agent: EmbeddedAgent | undefined;
      let stopped = false;
      const watch = (address: EndpointAddress) => {
        watcher = new X509ContextWatcher({
          address,
          onUpdate: (context) => {
            void chosenAndVerified(context, options).then(
              (update) => sendBack({ type: 'workload.update', update }),
              (error: unknown) => sendBack({ type: 'workload.rejected', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
            );
          },
          onBadMessage: (error) => sendBack({ type: 'workload.rejected', reason: `${error.name}: ${error.message}` }),
          onState: (state) => {
            if (state.status === 'waiting') sendBack({ type: 'workload.waiting', reason: state.reason, retryInMs: state.retryInMs });
            if (state.status === 'failed') sendBack({ type: 'workload.failed', reason: state.reason });
          },
        });
        watcher.start();
      };
      if (agentAddress) {
        watch(agentAddress);
      } else {
        startEmbeddedAgent({ ...options, onListenerError: (error) => log.warn({ err: error }, 'the embedded Workload API failed to accept a connection') }).then(
          (started) => {
            agent = started;
            if (stopped) started.close().catch((error: unknown) => log.warn({ err: error }, 'the embedded Workload API did not close cleanly'));
            else watch({ kind: 'unix', path: started.socketPath });
          },
          (error: unknown) => sendBack({ type: 'workload.failed', reason: `embedded trust domain: ${error instanceof Error ? error.message : String(error)}` }),
        );
      }
      return () => {
        stopped = true;
        watcher?.stop();
        agent?.close().catch((error: unknown) => log.warn({ err: error }, 'the embedded Workload API did not close cleanly'));
      };
    });
    return createIdentityMachine(workloadApi, {
      mode: agentAddress ? 'agent' : 'embedded',
      endpoint: options.agentSocket ?? `embedded (${options.trustDomain})`,
    });
  },
});

/** The SVID the node uses (lib/spiffe/svid-choice.ts), verified against its own bundle. */
async function chosenAndVerified(context: X509Context, options: IdentityOptions) {
  const { verified } = await chooseVerifiedSvid(context, options);
  return { spiffeId: verified.spiffeId.id, trustDomain: verified.spiffeId.trustDomain, expiresAt: verified.expiresAt.getTime(), svids: context.svids.length };
}
