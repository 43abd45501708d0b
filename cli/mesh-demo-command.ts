/**
 * `x0tta6bl4 mesh demo --nodes N`: a mesh to try on one machine. N real node processes on loopback,
 * each its own data directory and control socket, all in one embedded trust domain (one CA, copied
 * to each), linked in a ring (each node dials the next) with a chord across every third node, so
 * that routes have a choice. It prints where every node's data, socket, log and address are and
 * the commands to look at them, says when each serves, and on Ctrl-C (or SIGTERM) stops them all
 * and removes their directories (unless --keep). Refused in production mode, as the embedded trust
 * domain is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEAP_FLAGS } from '../actors/runtime/index.js';
import { caFiles, initEmbeddedCa, refuseInProduction } from '../lib/spiffe/embedded-ca-files.js';
import { parseTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { callControl } from './control-client.js';
import { UsageError } from './usage-error.js';

const TRUST_DOMAIN = 'mesh.demo';
export const MAX_DEMO_NODES = 32;
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
/** How long a node has to serve before the demo says it did not start. */
const READY_WITHIN_MS = 120_000;

export interface MeshDemoFlags extends ConfigFlags {
  nodes?: string;
  dir?: string;
  keep?: boolean;
}

/**
 * Which nodes each node dials: the next one round the ring (two nodes: one link, the first dials),
 * and from six nodes on, every third node also the one across the ring (each pair linked once).
 */
export function demoLinks(nodes: number): number[][] {
  return Array.from({ length: nodes }, (_, index) => {
    const dials = nodes > 2 || index === 0 ? [(index + 1) % nodes] : [];
    const across = (index + Math.floor(nodes / 2)) % nodes;
    if (nodes >= 6 && index % 3 === 0 && across > index + 1) dials.push(across);
    return dials;
  });
}

/**
 * `count` distinct free loopback ports, every one held open until all are found: a port closed
 * before the next is asked for can be handed out again, and two of the demo's listeners would get
 * the same one. (Another process may still take one before its node binds it: that node then says
 * so in its log.)
 */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const listening = await Promise.allSettled(servers.map((server) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))));
  // Read before closing: a closed server has no address.
  const ports = servers.map((server) => (server.address() as { port: number } | null)?.port);
  await Promise.all(servers.map((server) => new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(undefined)))));
  const failed = listening.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return ports.map((port) => port!);
}

/** Resolves on Ctrl-C (SIGINT) or SIGTERM: when the demo stops, by default. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** `until`: when to stop every node (default: Ctrl-C or SIGTERM). */
export async function meshDemoCommand(flags: MeshDemoFlags, until?: Promise<void>): Promise<void> {
  refuseInProduction(configFromFlags(flags).production, 'the embedded trust domain of mesh demo');
  const nodes = Number(flags.nodes ?? '5');
  if (!Number.isInteger(nodes) || nodes < 2 || nodes > MAX_DEMO_NODES) throw new UsageError(`--nodes must be an integer from 2 to ${MAX_DEMO_NODES}`);
  // Removed at the stop only if the demo made it: a directory an operator named may hold more.
  if (flags.dir !== undefined && existsSync(flags.dir)) throw new UsageError(`${flags.dir} exists: give a directory the demo can make (and remove at the stop)`);
  const stop = until ?? interrupted();
  const root = flags.dir ?? mkdtempSync(join(tmpdir(), 'x0tta6bl4-demo-'));
  mkdirSync(root, { recursive: true });
  const id = (index: number) => `spiffe://${TRUST_DOMAIN}/node/n${index}`;
  const dirs = Array.from({ length: nodes }, (_, index) => join(root, `n${index}`));
  const ca = caFiles(dirs[0]!);
  await initEmbeddedCa(dirs[0]!, parseTrustDomain(TRUST_DOMAIN));
  for (const dir of dirs.slice(1)) {
    const files = caFiles(dir);
    mkdirSync(join(dir, 'identity'), { recursive: true, mode: 0o700 });
    copyFileSync(ca.certificate, files.certificate);
    copyFileSync(ca.key, files.key);
  }
  // Each node its own /metrics port besides its mesh port: on the default one, only the first node would serve.
  const free = await freeLoopbackPorts(2 * nodes);
  const ports = free.slice(0, nodes);
  const metricsPorts = free.slice(nodes);
  const links = demoLinks(nodes);
  const children: ChildProcess[] = [];
  process.stdout.write(`mesh demo: ${nodes} nodes in ${root}, trust domain ${TRUST_DOMAIN}\n`);
  for (let index = 0; index < nodes; index++) {
    const config = {
      dataDir: dirs[index],
      identity: { trustDomain: TRUST_DOMAIN, spiffeId: id(index) },
      mesh: { listen: `127.0.0.1:${ports[index]}`, peers: links[index]!.map((other) => ({ address: `127.0.0.1:${ports[other]}`, spiffeId: id(other) })) },
      metrics: { listen: `127.0.0.1:${metricsPorts[index]}` },
    };
    const file = join(root, `n${index}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2));
    const log = join(root, `n${index}.log`);
    const output = openSync(log, 'a');
    children.push(spawn(process.execPath, [...HEAP_FLAGS, MAIN, 'run', '--config', file], { stdio: ['ignore', output, output] }));
    process.stdout.write(
      `  n${index}  ${id(index)}  listening on 127.0.0.1:${ports[index]}, dials ${links[index]!.map((other) => `n${other}`).join(', ') || 'none'}\n` +
        `      data ${dirs[index]}  control socket ${join(dirs[index]!, 'control.sock')}  log ${log}\n` +
        `      metrics http://127.0.0.1:${metricsPorts[index]}/metrics\n`,
    );
  }
  process.stdout.write(
    `try:  x0tta6bl4 peers --data-dir ${dirs[0]}\n      x0tta6bl4 routes --data-dir ${dirs[0]}\n      x0tta6bl4 mesh ping ${id(nodes - 1)} --data-dir ${dirs[0]}\nCtrl-C stops every node${flags.keep ? '' : ' and removes their directories'}.\n`,
  );

  let stopping = false;
  const stopped = stop.then(async () => {
    stopping = true;
    process.stdout.write('mesh demo: stopping every node\n');
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((done) => child.once('exit', done)))));
  });
  children.forEach((child, index) =>
    child.once('exit', (code, signal) => {
      if (!stopping) process.stdout.write(`mesh demo: n${index} exited (${code ?? signal}); see its log\n`);
    }),
  );
  await Promise.all(dirs.map((dir, index) => announceReady(dir, index, () => stopping)));
  await stopped;
  if (!flags.keep) rmSync(root, { recursive: true, force: true });
  process.stdout.write('mesh demo: stopped\n');
}

/** Says when a node's peer link serves (it has its SVID and listens), as its status over its control socket shows. */
async function announceReady(dir: string, index: number, stopping: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (!stopping() && Date.now() < deadline) {
    const status = (await callControl(join(dir, 'control.sock'), 'status').catch(() => undefined)) as { mesh?: { phase?: string } } | undefined;
    if (status?.mesh?.phase === 'serving') {
      process.stdout.write(`mesh demo: n${index} serving\n`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!stopping()) process.stdout.write(`mesh demo: n${index} did not serve within ${READY_WITHIN_MS / 1000} s; see its log\n`);
}
