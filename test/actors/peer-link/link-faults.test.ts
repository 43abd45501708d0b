/**
 * Chaos on one peer's links (actors/peer-link/link-faults.ts), on a virtual clock and a scripted
 * random: a cut link passes nothing either way; a lossy link drops a heartbeat exactly when the draw
 * falls below its share; a peer without a fault loses nothing; a fault ends at its deadline or when
 * healed; a share outside (0, 1] is refused; and status lists only the faults in force.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_FAULT_MS, LinkFaults } from '../../../actors/peer-link/link-faults.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

/** Faults on a virtual clock whose random gives `draws` in order, and fails the test if asked for more. */
function faults(draws: number[] = []) {
  const clock = new VirtualClock();
  const left = [...draws];
  let drawn = 0;
  const random = () => {
    const next = left.shift();
    if (next === undefined) throw new Error('random() was called more often than the test scripted');
    drawn++;
    return next;
  };
  return { clock, faults: new LinkFaults(clock, random), drawn: () => drawn };
}

describe('link faults', () => {
  it('passes nothing either way on a cut link, without drawing any randomness, and leaves other peers alone', () => {
    const { faults: link, drawn } = faults();
    link.cut(B);
    expect(link.isCut(B)).toBe(true);
    for (let frame = 0; frame < 5; frame++) expect(link.dropsHeartbeat(B)).toBe(true);
    expect(link.isCut(C)).toBe(false);
    expect(link.dropsHeartbeat(C)).toBe(false);
    expect(drawn()).toBe(0);
  });

  it('drops a heartbeat on a lossy link exactly when the draw is below the share, and never cuts it', () => {
    const { faults: link, drawn } = faults([0.29, 0.3, 0.31, 0, 0.999_999]);
    link.lossy(B, 0.3);
    expect(link.isCut(B), 'records and the handshake pass').toBe(false);
    expect([0, 1, 2, 3, 4].map(() => link.dropsHeartbeat(B))).toEqual([true, false, false, true, false]);
    // One draw per frame, and none for a peer without a fault.
    expect(drawn()).toBe(5);
    expect(link.dropsHeartbeat(C)).toBe(false);
    expect(drawn()).toBe(5);
  });

  it('drops every heartbeat at share 1, whatever the draw', () => {
    const { faults: link } = faults([0, 0.5, 0.999_999]);
    link.lossy(B, 1);
    expect([0, 1, 2].map(() => link.dropsHeartbeat(B))).toEqual([true, true, true]);
  });

  it('refuses a share outside (0, 1], and records nothing then', () => {
    const { faults: link } = faults();
    for (const share of [0, -0.1, 1.000_001, 2, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => link.lossy(B, share)).toThrow(RangeError);
    expect(link.state()).toEqual([]);
    expect(link.dropsHeartbeat(B)).toBe(false);
    link.lossy(B, Number.MIN_VALUE);
    link.lossy(C, 1);
    expect(link.state().map((fault) => fault.share)).toEqual([Number.MIN_VALUE, 1]);
  });

  it('ends a fault at its deadline, and one given no duration after DEFAULT_LINK_FAULT_MS', () => {
    const { clock, faults: link } = faults();
    link.cut(B, 1_000);
    link.cut(C);
    clock.advance(999);
    expect(link.isCut(B)).toBe(true);
    clock.advance(1);
    expect(link.isCut(B)).toBe(false);
    expect(link.dropsHeartbeat(B)).toBe(false);
    clock.advance(DEFAULT_LINK_FAULT_MS - 1_000 - 1);
    expect(link.isCut(C)).toBe(true);
    clock.advance(1);
    expect(link.isCut(C)).toBe(false);
    expect(link.state()).toEqual([]);
  });

  it('ends a lossy fault at its deadline: no more draws, no more drops', () => {
    const { clock, faults: link, drawn } = faults([0]);
    link.lossy(B, 0.5, 500);
    expect(link.dropsHeartbeat(B)).toBe(true);
    clock.advance(500);
    expect(link.dropsHeartbeat(B)).toBe(false);
    expect(drawn()).toBe(1);
  });

  it('heals a fault at once and says whether there was one', () => {
    const { clock, faults: link } = faults();
    expect(link.heal(B)).toBe(false);
    link.cut(B);
    link.lossy(C, 0.5);
    expect(link.heal(B)).toBe(true);
    expect(link.isCut(B)).toBe(false);
    expect(link.dropsHeartbeat(B)).toBe(false);
    expect(link.heal(B), 'healed already').toBe(false);
    // A fault past its deadline is no fault to heal: `chaos heal-link` must not say it healed one.
    link.cut(B, 100);
    clock.advance(100);
    expect(link.heal(B), 'expired').toBe(false);
    expect(link.state().map((fault) => fault.peer), 'the other peer keeps its fault').toEqual([C]);
  });

  it('replaces a peer\'s fault with the newer one, deadline included', () => {
    const { clock, faults: link } = faults([0.9]);
    link.cut(B, 10_000);
    link.lossy(B, 0.5, 100);
    expect(link.isCut(B)).toBe(false);
    expect(link.dropsHeartbeat(B)).toBe(false);
    clock.advance(100);
    expect(link.state()).toEqual([]);
  });

  it('lists only the faults in force, a lossy one with its share, each with how long it still lasts', () => {
    const { clock, faults: link } = faults();
    link.cut(B, 1_000);
    link.lossy(C, 0.25, 5_000);
    expect(link.state()).toStrictEqual([
      { peer: B, kind: 'cut', remainingMs: 1_000 },
      { peer: C, kind: 'lossy', share: 0.25, remainingMs: 5_000 },
    ]);
    clock.advance(1_000);
    expect(link.state()).toStrictEqual([{ peer: C, kind: 'lossy', share: 0.25, remainingMs: 4_000 }]);
    clock.advance(4_000);
    expect(link.state()).toEqual([]);
  });
});
