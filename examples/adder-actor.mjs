// An actor module: its default export builds the machine. Bus messages arrive as events whose
// type is the topic; the machine answers with emit({ type: 'bus.reply' | 'bus.publish', ... }).
import { assign, emit, setup } from 'xstate';
import { defineActor } from 'x0tta6bl4';

export default defineActor({
  createMachine: () =>
    setup({}).createMachine({
      context: { total: 0 },
      on: {
        'demo.add': { actions: assign({ total: ({ context, event }) => context.total + event.payload.amount }) },
        'demo.total': {
          actions: emit(({ context, event }) => ({ type: 'bus.reply', requestId: event.requestId, payload: { total: context.total } })),
        },
      },
    }),
});
