/**
 * `x0tta6bl4 mesh ping`: each reply as a line (round trip, next hop, hops each way), a lost one said
 * so, a summary, a destination's text made harmless, and a refusal said as such. The pings over real
 * node processes are in test/e2e/mesh-routing-process.test.ts; over real links, in
 * test/actors/peer-link/mesh-routing-links.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatPing } from '../../cli/mesh-ping-command.js';

const C = 'spiffe://mesh.test/node/c';
const B = 'spiffe://mesh.test/node/b';

describe('x0tta6bl4 mesh ping', () => {
  it('prints each reply, a lost one, and the round trips in sum', () => {
    const text = formatPing(
      {
        to: `${C}\u001b[2J`,
        replies: [
          { seq: 1, rttMs: 1.5, hopsOut: 2, hopsBack: 2, via: B },
          { seq: 2, via: B },
          { seq: 3, rttMs: 0.75, hopsOut: 1, hopsBack: 1, via: C },
          { seq: 4 },
        ],
      },
      2_000,
    );
    expect(text).toBe(
      [
        `pong from ${C}?[2J via ${B} in 1.50 ms (2 hops out, 2 back)`,
        `no reply from ${C}?[2J to ping 2 within 2000 ms`,
        `pong from ${C}?[2J via ${C} in 0.75 ms (1 hop out, 1 back)`,
        `no reply from ${C}?[2J to ping 4 within 2000 ms (no route)`,
        '4 sent, 2 answered; round trip min 0.75, median 0.75, max 1.50 ms',
        '',
      ].join('\n'),
    );
  });

  it('says when no ping was answered, and when none could be sent', () => {
    expect(formatPing({ to: C, replies: [{ seq: 1 }] }, 300)).toBe(`no reply from ${C} to ping 1 within 300 ms (no route)\n1 sent, none answered\n`);
    expect(formatPing({ to: C, replies: [], refused: 'not admitted' }, 300)).toBe(`no ping sent to ${C}: not admitted\n`);
  });
});
