/**
 * One process per core spinning without pause at normal priority: a machine with no core to spare,
 * for tests of what the runtime does when a thread is runnable but not running. Resolves once
 * every hog spins; stop() kills them and waits for their exit (call it in afterEach, so a failed
 * test leaves none behind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CoreHogs {
  stop(): Promise<void>;
}

export async function startCoreHogs(count = availableParallelism()): Promise<CoreHogs> {
  const children: ChildProcess[] = [];
  const stop = () =>
    Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    ).then(() => undefined);
  try {
    await Promise.all(
      Array.from({ length: count }, () => {
        const child = spawn(process.execPath, ['-e', "process.stdout.write('spinning\\n');for(;;){}"], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          child.stdout!.once('data', () => resolve());
          child.once('exit', (code, signal) => reject(new Error(`a CPU hog exited before it spun (${code ?? signal})`)));
        });
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
