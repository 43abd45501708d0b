/**
 * The e2e suite: what end-to-end messages cost against the link they ride on. Four nodes' peer
 * links in a line, A–B–C–D (TLS 1.3 on loopback, post-quantum sessions, liboqs; test/helpers/
 * links-node.ts), all in this process. Per run, a burst of messages goes as fast as flow control
 * lets it, and the rate is taken from the first send to the last delivery:
 * - `link_msgs_per_s`, `link_mb_per_s`: A to B on the link itself (PeerLinks.send), the baseline;
 * - `e2e_msgs_per_s_1hop`, `e2e_mb_per_s_1hop`: A to B end to end (sealed, acknowledged end to end);
 * - `e2e_msgs_per_s_3hops`, `e2e_mb_per_s_3hops`: A to D end to end, through B and C;
 * each end-to-end figure with its ratio to the link's median in the same run. Messages of 256
 * bytes for the message rates, 64 KiB for the byte rates.
 * Every node runs on this one thread: the three-hop figures carry four nodes' work per message
 * (each hop's TLS and session, each forwarder's envelope), where four machines would share it.
 */
import { loadavg } from 'node:os';
import { createTrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { linkNode, stopLinkNodes, type LinkNode } from '../../test/helpers/links-node.js';
import { until } from '../../test/helpers/wait.js';
import { figure, progress, round, summarize } from '../stats.js';
import type { Suite } from './suite.js';

const SUITE = 'e2e';
const HOUR = 3_600_000;
const ids = ['a', 'b', 'c', 'd'].map((name) => `spiffe://e2e.bench/node/${name}`);
const SMALL = 256;
const LARGE = 64 * 1024;
const FULL = { runs: 10, small: 20_000, large: 400 };
const QUICK = { runs: 3, small: 5_000, large: 100 };
/** A run that does not finish by then has hung: the suite fails rather than waits. */
const RUN_LIMIT_MS = 120_000;

/** A JSON payload of `bytes` bytes (a string), numbered so that every one differs. */
const payloadOf = (bytes: number, n: number) => Buffer.from(JSON.stringify(`${n}:`.padEnd(bytes - 2, 'x')));

/** Sends `count` messages as fast as `send` takes them (yielding to the event loop when it refuses), then waits for all at the destination; messages per second. */
async function burst(count: number, bytes: number, send: (payload: Buffer) => boolean, delivered: () => number): Promise<number> {
  const before = delivered();
  const start = performance.now();
  for (let n = 0; n < count; ) {
    if (send(payloadOf(bytes, n))) n++;
    else await new Promise((resolve) => setImmediate(resolve));
  }
  await until('the burst delivered', () => delivered() - before >= count, RUN_LIMIT_MS, 1);
  return (count * 1000) / (performance.now() - start);
}

export const e2eSuite: Suite = {
  name: SUITE,
  description: 'End-to-end messages over 1 and 3 hops against the link itself, four nodes in one process',
  async run({ quick, sink }) {
    const counts = quick ? QUICK : FULL;
    const ca = await createTrustDomainCa('e2e.bench', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
    try {
      const d = await linkNode(ca, ids[3]!);
      const c = await linkNode(ca, ids[2]!, [d]);
      const b = await linkNode(ca, ids[1]!, [c]);
      const a = await linkNode(ca, ids[0]!, [b]);
      await until('A to route to D', () => a.state().routing.routes.some((route) => route.destination === ids[3]), 30_000);
      const count = (node: LinkNode) => () => node.received.length;
      const link = (payload: Buffer) => a.links.send(ids[1]!, 'bench', payload);
      const oneHop = (payload: Buffer) => a.links.sendEndToEnd(ids[1]!, 'bench', payload);
      const threeHops = (payload: Buffer) => a.links.sendEndToEnd(ids[3]!, 'bench', payload);
      const samples = { link: { small: [] as number[], large: [] as number[] }, one: { small: [] as number[], large: [] as number[] }, three: { small: [] as number[], large: [] as number[] } };
      // One warm-up burst of each, then the runs interleaved, so that a slow moment of the machine falls on all three alike.
      for (const run of [-1, ...Array.from({ length: counts.runs }, (_, index) => index)]) {
        for (const [key, send, node] of [['link', link, b], ['one', oneHop, b], ['three', threeHops, d]] as const) {
          const small = await burst(counts.small, SMALL, send, count(node));
          const large = await burst(counts.large, LARGE, send, count(node));
          // Delivered messages are not kept: only their count matters here.
          node.received.length = 0;
          if (run < 0) continue;
          samples[key].small.push(small);
          samples[key].large.push((large * LARGE) / (1024 * 1024));
        }
        if (run >= 0) progress(`e2e: run ${run + 1}/${counts.runs}`);
      }
      const config = {
        nodes: 'A–B–C–D, peer links on loopback (TLS 1.3, X-Wing sessions), every node on this one thread',
        message_bytes: { msgs_per_s: SMALL, mb_per_s: LARGE },
        burst: { msgs_per_s: counts.small, mb_per_s: counts.large },
        measured: 'first send to last delivery of a burst, as fast as flow control lets it (link window, end-to-end window of 512)',
      };
      const load1 = round(loadavg()[0] ?? 0);
      const linkSmall = figure(SUITE, 'link_msgs_per_s', 'msgs/s', samples.link.small, { config: { ...config, path: 'A → B on the link (PeerLinks.send)' }, load1 });
      const linkLarge = figure(SUITE, 'link_mb_per_s', 'MiB/s', samples.link.large, { config: { ...config, path: 'A → B on the link (PeerLinks.send)' }, load1 });
      sink.emit(linkSmall);
      sink.emit(linkLarge);
      for (const [key, suffix, path] of [['one', '1hop', 'A → B end to end'], ['three', '3hops', 'A → D end to end, through B and C']] as const) {
        const small = summarize(samples[key].small).median;
        const large = summarize(samples[key].large).median;
        sink.emit(figure(SUITE, `e2e_msgs_per_s_${suffix}`, 'msgs/s', samples[key].small, { config: { ...config, path }, ratio_vs: 'link_msgs_per_s', ratio: round(small / summarize(samples.link.small).median), load1 }));
        sink.emit(figure(SUITE, `e2e_mb_per_s_${suffix}`, 'MiB/s', samples[key].large, { config: { ...config, path }, ratio_vs: 'link_mb_per_s', ratio: round(large / summarize(samples.link.large).median), load1 }));
      }
    } finally {
      await stopLinkNodes(false);
    }
  },
};
