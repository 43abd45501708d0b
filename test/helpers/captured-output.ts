/** What a command prints, captured in this process: a command run in-process writes to process.stdout and process.stderr. */

export interface CapturedOutput<T> {
  result: T;
  stdout: string;
  stderr: string;
  /** process.exitCode as the command left it (restored afterwards, so the test runner's own stays untouched). */
  exitCode: number | string | undefined;
}

export async function capturingOutput<T>(run: () => Promise<T>): Promise<CapturedOutput<T>> {
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const exitCode = process.exitCode;
  let stdout = '';
  let stderr = '';
  const keep = (append: (text: string) => void) =>
    ((chunk: string | Uint8Array) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = keep((text) => (stdout += text));
  process.stderr.write = keep((text) => (stderr += text));
  try {
    const result = await run();
    return { result, stdout, stderr, exitCode: process.exitCode ?? undefined };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = exitCode;
  }
}
