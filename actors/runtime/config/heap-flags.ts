/**
 * The V8 flags the node's process is launched with: the heap bound of every one of its threads.
 * V8 applies these flags to every isolate it creates, each actor's worker thread as well as the
 * main thread, over any Worker `resourceLimits` (nodejs/node#43991), so they are the one place the
 * bound is set: deploy/x0tta6bl4.service's ExecStart and `npm start` carry them (a test keeps both
 * equal to this list), and so does every node process the tests and the benchmarks start, so that
 * what they measure is the node as it ships. An operator changes the bound in the unit.
 *
 * The bound does two things:
 * - A worker thread past it ends (ERR_WORKER_OUT_OF_MEMORY) and its supervisor restarts it like any
 *   crash, as OTP's max_heap_size ends a process: a runaway actor's JavaScript heap cannot take the
 *   node's memory (Buffers and WebAssembly memory lie outside it). The main thread past it ends the
 *   process, and systemd restarts it.
 * - V8 collects sooner. Its heap growing factor scales with the limit: up to 4 for the limit it
 *   picks by itself on a machine with a lot of memory, about 1.4 at 512 MiB. And a thread's young
 *   generation, which V8 grows to 48 MiB (three 16 MiB semi-spaces) under allocation pressure and
 *   keeps, stays at 12 MiB.
 * The full soak shows the effect (perf/README.md, "Memory of the node's threads").
 */

/**
 * Ten times the largest heap any thread held in the soak under every attack at once (about 50 MiB,
 * bounded; the peer link's), and about 8 s of the injected memory leak (64 MiB/s) before a
 * remediation that takes longer is overtaken by the bound.
 */
export const OLD_GENERATION_MIB = 512;
/** 4 MiB semi-spaces: a 12 MiB young generation (V8 sizes it as three semi-spaces). */
export const SEMI_SPACE_MIB = 4;

export const HEAP_FLAGS: readonly string[] = [`--max-old-space-size=${OLD_GENERATION_MIB}`, `--max-semi-space-size=${SEMI_SPACE_MIB}`];
