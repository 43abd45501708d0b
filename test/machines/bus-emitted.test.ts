/**
 * machines/bus-emitted.ts restates the runtime's BusEmitted (machines/ may not import actors/).
 * The typecheck of this file fails if the two drift apart.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { BusEmitted } from '../../actors/runtime/envelope.js';
import type { MachineBusEmitted } from '../../machines/bus-emitted.js';

describe('MachineBusEmitted', () => {
  it('is exactly the runtime\'s BusEmitted', () => {
    expectTypeOf<MachineBusEmitted>().toEqualTypeOf<BusEmitted>();
  });
});
