/** A WebSocket client of a node's inspector relay, as Stately's inspector page is one: it keeps every event it is sent. */
import WebSocket from 'ws';

/** The fields of an inspection event the tests look at. */
export interface InspectionEvent {
  type: string;
  event?: { type: string; payload?: { n?: number } };
  name?: string;
  rootId?: string;
  sessionId?: string;
}

export interface InspectorClient {
  socket: WebSocket;
  events: InspectionEvent[];
}

/** Connected once this resolves; the caller terminates `socket` when done. */
export async function connectInspector(port: number): Promise<InspectorClient> {
  const events: InspectionEvent[] = [];
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  socket.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as InspectionEvent));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, events };
}
