// comlink ships its Node adapter as .mjs with a .d.ts that NodeNext resolution does not pair with it.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    postMessage(message: any, transfer?: any[]): void; // eslint-disable-line @typescript-eslint/no-explicit-any -- mirrors comlink's own declaration
    on(type: string, listener: (...args: any[]) => void, options?: object): unknown;
    off(type: string, listener: (...args: any[]) => void, options?: object): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(endpoint: NodeEndpoint): Endpoint;
}
