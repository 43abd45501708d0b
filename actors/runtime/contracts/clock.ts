/** The runtime's Clock contract (defined in lib/timing, below both machines/ and actors/, so both can take one). */
export { realClock, type Clock, type TimerHandle } from '../../../lib/timing/clock.js';
