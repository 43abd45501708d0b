/**
 * A WebSocket client of a node's inspector relay, as the relay's page in a browser is one (the
 * token from the page's URL, the page's Origin): it keeps every event it is sent.
 */
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

/** The page URL a node logs when its relay starts (it carries the access token). */
export function inspectorUrlIn(output: string): URL {
  const match = /"url":"(http:\/\/localhost:\d+\/\?token=[\w-]+)"/.exec(output);
  if (!match) throw new Error('no inspector relay URL in the output');
  return new URL(match[1]!);
}

/** Connected once this resolves; the caller terminates `socket` when done. */
export async function connectInspector(pageUrl: URL): Promise<InspectorClient> {
  const events: InspectionEvent[] = [];
  const socket = new WebSocket(`ws://127.0.0.1:${pageUrl.port}/${pageUrl.search}`, { origin: `http://localhost:${pageUrl.port}` });
  socket.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as InspectionEvent));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, events };
}
