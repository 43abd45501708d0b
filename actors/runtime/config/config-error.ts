import { registerErrorClass, RuntimeError } from '../errors.js';

/** One problem found in a node configuration. */
export interface ConfigIssue {
  /** Dotted path of the key at fault (`supervision.intensity`); empty for the document as a whole. */
  key: string;
  /** What is wrong, including where the value came from when that is known. */
  message: string;
}

/**
 * A node configuration that cannot be used: a bad or unknown key, an unparsable file, a bad
 * environment variable. Raised before anything starts, so the operator fixes it and retries.
 * `key` names the first bad key so scripts can point at it; the message lists every issue,
 * because fixing one problem per restart is a slow way to configure a node.
 */
export class ConfigError extends RuntimeError {
  readonly key: string;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly [ConfigIssue, ...ConfigIssue[]], options?: ErrorOptions) {
    const lines = issues.map((issue) => (issue.key === '' ? issue.message : `${issue.key}: ${issue.message}`));
    const message =
      lines.length === 1
        ? `invalid node configuration: ${lines[0]}`
        : `invalid node configuration (${lines.length} issues):\n  - ${lines.join('\n  - ')}`;
    super(message, options);
    this.key = issues[0].key;
    this.issues = issues;
  }
}
registerErrorClass(ConfigError);
