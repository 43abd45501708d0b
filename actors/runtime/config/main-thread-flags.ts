/**
 * The V8 flags the node's process is launched with: its main thread's heap bound, which only a flag
 * at launch can set (a Worker's resourceLimits bound the actor threads, supervision.threadHeap). The
 * same bound as an actor thread's by default: the old generation's limit, and a young generation of
 * three semi-spaces (V8 sizes it so). deploy/x0tta6bl4.service's ExecStart and `npm start` carry
 * them (a test keeps both equal to this list), and so does every node process the tests and the
 * benchmarks start, so that what they measure is the node as it ships.
 */
import { DEFAULT_THREAD_OLD_GENERATION_MIB, DEFAULT_THREAD_YOUNG_GENERATION_MIB } from './node-config.js';

/** V8's young generation is two semi-spaces and a new large-object space of the same size. */
const SEMI_SPACES_PER_YOUNG_GENERATION = 3;

export const MAIN_THREAD_NODE_FLAGS: readonly string[] = [
  `--max-old-space-size=${DEFAULT_THREAD_OLD_GENERATION_MIB}`,
  `--max-semi-space-size=${DEFAULT_THREAD_YOUNG_GENERATION_MIB / SEMI_SPACES_PER_YOUNG_GENERATION}`,
];
