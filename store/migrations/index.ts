/**
 * Every migration, in order. Append only: a released migration is never edited, because files in
 * the field already ran it; a change to the schema is a new migration with the next version.
 */
import type { Migration } from '../migrations.js';
import runtime from './001-runtime.js';
import knowledgeBase from './002-knowledge-base.js';
import selfHealing from './003-self-healing.js';
import loadRelativeHog from './004-load-relative-hog.js';
import unyieldingHog from './005-unyielding-hog.js';
import hogWithoutInflow from './006-hog-without-inflow.js';
import meshFaults from './007-mesh-faults.js';
import hogPerInput from './008-hog-per-input.js';

export const migrations: readonly Migration[] = [runtime, knowledgeBase, selfHealing, loadRelativeHog, unyieldingHog, hogWithoutInflow, meshFaults, hogPerInput];
