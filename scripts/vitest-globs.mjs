// How vitest matches the coverage gate's globs, for the scripts that read the gate as vitest does:
// its own picomatch (resolved from vitest, so the version it runs), and which keys of `thresholds`
// are globs rather than settings.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const picomatch = createRequire(fileURLToPath(import.meta.resolve('vitest')))('picomatch');

// Keys of vitest's `thresholds` that are settings (or the global floors), not globs.
const THRESHOLD_SETTINGS = new Set(['lines', 'functions', 'branches', 'statements', 'perFile', 'autoUpdate', '100']);

/** The glob keys of a `thresholds` object, in order. @param {Record<string, unknown>} thresholds */
export const floorGlobs = (thresholds) => Object.keys(thresholds).filter((key) => !THRESHOLD_SETTINGS.has(key));
