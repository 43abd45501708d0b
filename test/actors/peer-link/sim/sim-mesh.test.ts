/**
 * The simulated mesh's own operations on a small mesh: routes reach every node over the same
 * membership, failure detector and routing code the peer links run; a killed node's routes are
 * withdrawn everywhere and a restarted one rejoins with a newer incarnation; a graceful leave is
 * seen without any suspicion; a frozen node's connections stay open while it is declared dead, and
 * it refutes when it resumes; a cut wire carries nothing until mended; a lossy one is measured as
 * lossy by both ends; a link the reroute-around remedy avoids is left for a way around wherever
 * there is one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimMesh } from '../../../../actors/peer-link/sim/sim-mesh.js';

const meshes: SimMesh[] = [];
function started(nodes: number, seed = 3): SimMesh {
  const mesh = new SimMesh({ seed, nodes });
  meshes.push(mesh);
  mesh.start();
  return mesh;
}

afterEach(() => {
  for (const mesh of meshes.splice(0)) mesh.stop();
});

describe('the simulated mesh', () => {
  it('routes from every node to every other, each path reaching its destination', async () => {
    const mesh = started(20);
    expect(await mesh.runUntilConverged(30_000)).toBe(true);
    for (let from = 0; from < mesh.size; from++) {
      for (let to = 0; to < mesh.size; to++) {
        if (from === to) continue;
        let at = from;
        for (let hops = 0; at !== to; hops++) {
          expect(hops).toBeLessThan(mesh.size);
          at = mesh.indexOf(mesh.node(at)!.nextHop(mesh.ids[to]!)!);
        }
      }
    }
    expect(mesh.loops).toEqual([]);
  });

  it('withdraws a killed node everywhere, and takes it back at a newer incarnation when it restarts', async () => {
    const mesh = started(20);
    await mesh.runUntilConverged(30_000);
    const victim = [...Array(mesh.size).keys()].find((index) => index > 0 && mesh.staysConnectedWithout(index))!;
    const id = mesh.ids[victim]!;
    const before = mesh.node(0)!.aliveMember(id)!.incarnation;
    expect(mesh.staysConnectedWithout(victim)).toBe(true);
    mesh.kill(victim);
    expect(mesh.converged()).toBe(false);
    expect(await mesh.runUntilConverged(30_000)).toBe(true);
    for (let index = 0; index < mesh.size; index++) if (index !== victim) expect(mesh.node(index)!.nextHop(id)).toBeUndefined();
    await mesh.run(mesh.now + 30_000, () => mesh.declaredDeadByNeighbours(victim));
    expect(mesh.declaredDeadByNeighbours(victim)).toBe(true);
    mesh.restart(victim);
    expect(await mesh.runUntilConverged(30_000)).toBe(true);
    expect(mesh.node(0)!.aliveMember(id)!.incarnation).toBeGreaterThan(before);
  });

  it('sees a graceful leave at every node without suspecting the node that left', async () => {
    const lines: string[] = [];
    const mesh = new SimMesh({ seed: 4, nodes: 12, onTrace: (line) => lines.push(line) });
    meshes.push(mesh);
    mesh.start();
    await mesh.runUntilConverged(30_000);
    const leaving = [...Array(mesh.size).keys()].find((index) => mesh.staysConnectedWithout(index))!;
    const id = mesh.ids[leaving]!;
    const from = lines.length;
    const heldLeft = () =>
      [...Array(mesh.size).keys()].filter((index) => index !== leaving && mesh.node(index)!.membershipState().members.find((each) => each.spiffeId === id)?.state === 'left').length;
    mesh.leave(leaving);
    await mesh.run(mesh.now + 3_000, () => mesh.converged() && heldLeft() === mesh.size - 1);
    expect(mesh.converged()).toBe(true);
    expect(heldLeft()).toBe(mesh.size - 1);
    expect(lines.slice(from).filter((line) => line.includes('suspected') && line.includes(id))).toEqual([]);
  });

  it('declares a frozen node dead with its connections still open, and takes it back once it resumes and refutes', async () => {
    const mesh = started(16, 5);
    await mesh.runUntilConverged(30_000);
    const frozen = [...Array(mesh.size).keys()].find((index) => index > 0 && mesh.staysConnectedWithout(index))!;
    const id = mesh.ids[frozen]!;
    const neighbour = mesh.neighbours(frozen)[0]!;
    mesh.freeze(frozen);
    await mesh.run(mesh.now + 30_000, () => mesh.declaredDeadByNeighbours(frozen));
    expect(mesh.declaredDeadByNeighbours(frozen)).toBe(true);
    // The frozen process did nothing: its side of every link is as it was.
    expect(mesh.node(frozen)!.linkedPeers()).toContain(mesh.ids[neighbour]);
    mesh.resume(frozen);
    expect(await mesh.runUntilConverged(60_000)).toBe(true);
    expect(mesh.node(neighbour)!.aliveMember(id)).toBeDefined();
  });

  it('carries nothing over a cut wire until it is mended, and measures a lossy wire as lossy', async () => {
    const mesh = new SimMesh({ seed: 6, nodes: 2, meanDegree: 1 });
    meshes.push(mesh);
    mesh.start();
    expect(await mesh.runUntilConverged(10_000)).toBe(true);
    mesh.lossy(0, 1, 0.5);
    await mesh.run(mesh.now + 3_000);
    expect(mesh.network.counters.dropped).toBeGreaterThan(0);
    mesh.lossy(0, 1, 0);
    mesh.cut(0, 1, true);
    const carried = mesh.network.counters.carried;
    await mesh.run(mesh.now + 30_000, () => mesh.node(0)!.nextHop(mesh.ids[1]!) === undefined);
    expect(mesh.node(0)!.nextHop(mesh.ids[1]!)).toBeUndefined();
    expect(mesh.network.counters.carried).toBe(carried);
    mesh.cut(0, 1, false);
    expect(await mesh.runUntilConverged(60_000)).toBe(true);
  });

  it('leaves an avoided link (reroute-around) for a way around wherever there is one, and comes back when the avoidance ends', async () => {
    const mesh = started(30, 5);
    expect(await mesh.runUntilConverged(30_000)).toBe(true);
    let tried = 0;
    for (let a = 0; a < mesh.size; a += 3) {
      const node = mesh.node(a)!;
      const b = mesh.neighbours(a).find((neighbour) => node.nextHop(mesh.ids[neighbour]!) === mesh.ids[neighbour]);
      if (b === undefined) continue;
      const peer = mesh.ids[b]!;
      const around = mesh.reachableAround(a, b);
      mesh.avoid(a, b, true);
      await mesh.run(mesh.now + 2_000, () => node.nextHop(peer) !== peer);
      // A way around is taken within the run's two simulated seconds; with none, the avoided link still serves.
      if (around) expect([undefined, peer], `node ${a} avoiding ${b}`).not.toContain(node.nextHop(peer));
      else expect(node.nextHop(peer), `node ${a} avoiding ${b}, no way around`).toBe(peer);
      if (around) tried++;
      mesh.avoid(a, b, false);
      await mesh.run(mesh.now + 2_000, () => node.nextHop(peer) === peer);
      expect(node.nextHop(peer), `node ${a} back to ${b}`).toBe(peer);
    }
    expect(tried).toBeGreaterThanOrEqual(5);
    expect(mesh.loops).toEqual([]);
  });

  it('refuses a seed that is no non-negative safe integer', () => {
    expect(() => new SimMesh({ seed: -1, nodes: 3 })).toThrow(RangeError);
    expect(() => new SimMesh({ seed: 1.5, nodes: 3 })).toThrow(RangeError);
  });
});
