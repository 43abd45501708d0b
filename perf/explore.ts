import { Worker } from 'node:worker_threads';
import { startBenchNode, nextTurn } from './fixtures/bench-node.js';
import { SINK_ACTOR, RELAY_ACTOR, RAW_SINK_WORKER } from './fixtures/bench-paths.js';
import type { X0tta6bl4Node } from '../actors/runtime/node.js';

const N = Number(process.env.N ?? 100000);
const mode = process.env.MODE ?? 'a';
const maxBatch = process.env.MB ? Number(process.env.MB) : undefined;

async function main() {
  // raw
  const w = new Worker(RAW_SINK_WORKER);
  let resolveMsg: ((m: any) => void) | undefined;
  w.on('message', (m) => resolveMsg?.(m));
  const next = () => new Promise<any>((r) => (resolveMsg = r));
  for (const B of [1, 256]) {
    for (let r = 0; r < 3; r++) {
      w.postMessage({ kind: 'arm', target: N });
      await next();
      const done = next();
      const t0 = performance.now();
      if (B === 1) for (let i = 0; i < N; i++) w.postMessage({ n: i, t: 0 });
      else for (let i = 0; i < N; i += B) { const b = []; for (let j = i; j < i + B && j < N; j++) b.push({ n: j, t: 0 }); w.postMessage(b); }
      await done;
      const ms = performance.now() - t0;
      console.error(`raw B=${B} ${Math.round(N / ms * 1000)} msgs/s`);
    }
  }
  await w.terminate();

  const bn = await startBenchNode({
    children: [
      { kind: 'actor', id: 'sink', module: SINK_ACTOR, subscribes: ['bench.msg'] },
      { kind: 'actor', id: 'relay', module: RELAY_ACTOR, subscribes: ['bench.relay'] },
    ],
    ...(maxBatch ? { maxBatch } : {}),
  });
  const node = bn.node;
  let reached: ((c: number) => void) | undefined;
  node.subscribe('bench.reached', (p) => reached?.((p as any).count));
  let expected = 0;
  const cell = node.bus.cell('sink');
  for (const topic of ['bench.msg', 'bench.relay']) {
    for (let r = 0; r < 5; r++) {
      expected += N;
      await node.request('sink', 'bench.arm', { target: expected });
      const done = new Promise<number>((res) => (reached = res));
      const t0 = performance.now();
      let last: Promise<void> = Promise.resolve();
      for (let i = 0; i < N; i++) {
        last = node.publish(topic, { n: i, t: 0 });
        if ((i & 255) === 255) {
          await last;
          if (mode === 'b') await nextTurn();
          if (mode === 'c' && cell.mailbox.inflightCount >= 512) await nextTurn();
        }
      }
      await last;
      await done;
      const ms = performance.now() - t0;
      console.error(`bus ${topic} mode=${mode} mb=${maxBatch ?? 'def'} ${Math.round(N / ms * 1000)} msgs/s`);
    }
  }
  await bn.cleanup();
}
await main();
