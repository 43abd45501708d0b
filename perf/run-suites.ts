/** Every benchmark suite, in the order `all` runs them. */
import { busSuite } from './suites/bus.js';
import { e2eSuite } from './suites/e2e.js';
import { gateSuite } from './suites/gate.js';
import { identitySuite } from './suites/identity.js';
import { mapeSuite } from './suites/mape.js';
import { meshSuite } from './suites/mesh.js';
import { pqcSuite } from './suites/pqc.js';
import { restartSuite } from './suites/restart.js';
import { simSuite } from './suites/sim.js';
import { soakSuite } from './suites/soak.js';
import type { Suite } from './suites/suite.js';

export const SUITES: readonly Suite[] = [busSuite, restartSuite, mapeSuite, identitySuite, pqcSuite, soakSuite, meshSuite, e2eSuite, simSuite, gateSuite];
