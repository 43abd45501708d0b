/**
 * What a machine emits to talk to the bus, as the runtime's actor contract defines it
 * (actors/runtime/envelope.ts, BusEmitted). Restated here because machines/ may not import
 * actors/; a test checks the two agree.
 */
export type MachineBusEmitted =
  | { type: 'bus.publish'; topic: string; payload: unknown }
  | { type: 'bus.reply'; requestId: string; payload: unknown }
  | { type: 'bus.reply'; requestId: string; error: string };
