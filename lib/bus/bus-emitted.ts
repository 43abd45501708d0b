/**
 * What a machine emits (XState `emit`) to talk to the bus: publish on a topic, or answer a
 * request. Defined once here, below both machines/ (which may not import actors/) and the
 * runtime's envelope contract, which re-exports it as `BusEmitted`.
 */
export type BusEmitted =
  | { type: 'bus.publish'; topic: string; payload: unknown }
  | { type: 'bus.reply'; requestId: string; payload: unknown }
  | { type: 'bus.reply'; requestId: string; error: string };
