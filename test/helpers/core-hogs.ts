/**
 * One process per core spinning without pause at normal priority: a machine with no core to spare
 * for a thread at a lower one (a test's nice-10 thread gets about a tenth of a core beside a hog;
 * hogs at nice 10 and the thread at 19 were measured to barely delay it, on this kernel's
 * scheduler). Keep their life short: the test runner's other threads share the cores with them.
 * Resolves once every hog spins; stop() kills them and waits for their exit (call it in afterEach).
 * A hog whose parent is gone (a test process killed before its cleanup ran) ends itself within a
 * second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CoreHogs {
  stop(): Promise<void>;
}

/** Spins; every ~0.1 s checks that the process that started it is still its parent. */
const HOG_SCRIPT = "const parent=process.ppid;process.stdout.write('spinning\\n');let next=Date.now();for(;;){if(Date.now()>=next){if(process.ppid!==parent)process.exit(0);next=Date.now()+100}}";

export async function startCoreHogs(count = availableParallelism()): Promise<CoreHogs> {
  const children: ChildProcess[] = [];
  const stop = () =>
    Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    ).then(() => undefined);
  try {
    await Promise.all(
      Array.from({ length: count }, () => {
        const child = spawn(process.execPath, ['-e', HOG_SCRIPT], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          child.once('error', reject);
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
