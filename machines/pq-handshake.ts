/**
 * The post-quantum handshake as a statechart, for either role. Its steps (lib/crypto/pq-handshake.ts:
 * build or check a message, derive keys) are provided as functions, so the chart stays pure: it
 * only sequences them, emits `handshake.send` for each message to write, and ends in
 * `established` (emitting `handshake.established` with the result) or `failed` (emitting
 * `handshake.failed` with the reason). A message out of turn, a step that throws, or the timeout
 * (XState's clock) fails it.
 */
import { assign, emit, setup } from 'xstate';

export type HandshakeRole = 'initiator' | 'responder';

export interface HandshakeSteps<InitiatorState, ResponderState, Result> {
  start(): { hello: Uint8Array; state: InitiatorState };
  respond(hello: Uint8Array): { accept: Uint8Array; state: ResponderState };
  finish(state: InitiatorState, accept: Uint8Array): { finish: Uint8Array; established: Result };
  complete(state: ResponderState, finish: Uint8Array): Result;
  /** The failure reason of a thrown error (HandshakeError.reason), else 'internal'. */
  reasonOf(error: unknown): string;
}

export type HandshakeEvent = { type: 'handshake.message'; bytes: Uint8Array };

export type HandshakeEmitted<Result> =
  | { type: 'handshake.send'; bytes: Uint8Array }
  | { type: 'handshake.established'; result: Result }
  | { type: 'handshake.failed'; reason: string; message: string };

interface HandshakeContext<I, R, Result> {
  initiator?: I;
  responder?: R;
  result?: Result;
  outgoing?: Uint8Array;
  failure?: { reason: string; message: string };
}

/** Both sides' messages are small and the work is a few milliseconds: 10 s means the peer is not answering. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export function createPqHandshakeMachine<I, R, Result>(role: HandshakeRole, steps: HandshakeSteps<I, R, Result>, timeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS) {
  type Context = HandshakeContext<I, R, Result>;
  const attempt = (run: (context: Context, bytes: Uint8Array) => Partial<Context>) =>
    assign<Context, HandshakeEvent, undefined, HandshakeEvent, never>(({ context, event }): Partial<Context> => {
      try {
        // Entry into `starting` runs on the start event, which carries no bytes.
        return run(context, (event as Partial<HandshakeEvent>).bytes ?? new Uint8Array(0));
      } catch (error) {
        return { failure: { reason: steps.reasonOf(error), message: error instanceof Error ? error.message : String(error) } };
      }
    });
  const failed = ({ context }: { context: Context }) => context.failure !== undefined;
  return setup({
    types: {} as { context: Context; events: HandshakeEvent; emitted: HandshakeEmitted<Result> },
    delays: { timeout: timeoutMs },
    actions: {
      sendOutgoing: emit(({ context }) => ({ type: 'handshake.send' as const, bytes: context.outgoing! })),
    },
  }).createMachine({
    id: 'pq-handshake',
    context: {},
    initial: role === 'initiator' ? 'starting' : 'awaitingHello',
    after: { timeout: { target: '.failed', actions: assign({ failure: { reason: 'timeout', message: `no handshake within ${timeoutMs} ms` } }) } },
    states: {
      starting: {
        entry: attempt(() => {
          const { hello, state } = steps.start();
          return { initiator: state, outgoing: hello };
        }),
        always: [{ guard: failed, target: 'failed' }, { target: 'awaitingAccept', actions: 'sendOutgoing' }],
      },
      awaitingHello: {
        on: {
          'handshake.message': {
            target: 'responding',
            actions: attempt((_, bytes) => {
              const { accept, state } = steps.respond(bytes);
              return { responder: state, outgoing: accept };
            }),
          },
        },
      },
      responding: { always: [{ guard: failed, target: 'failed' }, { target: 'awaitingFinish', actions: 'sendOutgoing' }] },
      awaitingAccept: {
        on: {
          'handshake.message': {
            target: 'finishing',
            actions: attempt((context, bytes) => {
              const { finish, established } = steps.finish(context.initiator!, bytes);
              return { outgoing: finish, result: established };
            }),
          },
        },
      },
      finishing: { always: [{ guard: failed, target: 'failed' }, { target: 'established', actions: 'sendOutgoing' }] },
      awaitingFinish: {
        on: {
          'handshake.message': {
            target: 'completing',
            actions: attempt((context, bytes) => ({ result: steps.complete(context.responder!, bytes) })),
          },
        },
      },
      completing: { always: [{ guard: failed, target: 'failed' }, { target: 'established' }] },
      established: {
        type: 'final',
        entry: emit(({ context }) => ({ type: 'handshake.established' as const, result: context.result! })),
      },
      failed: {
        type: 'final',
        entry: emit(({ context }) => ({ type: 'handshake.failed' as const, reason: context.failure!.reason, message: context.failure!.message })),
      },
    },
  });
}
