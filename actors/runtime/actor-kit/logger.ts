/** Structured JSON logs on stdout (journald takes them as they are), with the actor id as a field. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, typeof destination === 'number' ? descriptorStream(destination) : destination);
}

/**
 * A synchronous stream to a descriptor whose write errors are dropped with the line: a log that
 * cannot be written (stdout on a full disk) must not throw out of whatever was logging, a socket
 * listener or a timer, and end the thread.
 */
function descriptorStream(dest: number) {
  const stream = pino.destination({ dest, sync: true });
  stream.on('error', () => undefined);
  return stream;
}
