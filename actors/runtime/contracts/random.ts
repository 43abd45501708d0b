/** The runtime's Random contract (defined in lib/timing, below both machines/ and actors/, so both can take one). */
export { realRandom, type Random } from '../../../lib/timing/random.js';
