// unix-dgram ships no types; these are the parts of its API the systemd notifier and its tests use.
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';
  export interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void;
    send(buffer: Buffer, offset: number, length: number, path: string, callback?: (error?: Error) => void): void;
    close(): void;
  }
  export function createSocket(type: 'unix_dgram', listener?: (message: Buffer) => void): UnixDgramSocket;
  const unix: { createSocket: typeof createSocket };
  export default unix;
}
