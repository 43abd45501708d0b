/** The configuration a command works with: file, environment and the command's flags. */
import type { NodeConfig } from '../actors/runtime/node-config.js';
import { loadConfig } from './load-config.js';

export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  logLevel?: string;
}

export function configFromFlags(flags: ConfigFlags): NodeConfig {
  return loadConfig({
    ...(flags.config !== undefined ? { file: flags.config } : {}),
    env: process.env,
    flags: { dataDir: flags.dataDir, logLevel: flags.logLevel },
  });
}
