/** The configuration a command works with: file, environment and the command's flags. */
import type { NodeConfig } from '../actors/runtime/index.js';
import { loadConfig } from './load-config.js';

export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  logLevel?: string;
  /** `run --inspect [port]`: true, or the port as commander hands it. */
  inspect?: boolean | string;
}

export function configFromFlags(flags: ConfigFlags): NodeConfig {
  return loadConfig({
    ...(flags.config !== undefined ? { file: flags.config } : {}),
    env: process.env,
    flags: {
      dataDir: flags.dataDir,
      logLevel: flags.logLevel,
      ...(flags.inspect !== undefined ? { 'inspect.enabled': true, ...(typeof flags.inspect === 'string' ? { 'inspect.port': flags.inspect } : {}) } : {}),
    },
  });
}
