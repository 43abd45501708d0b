/** Defaults of the loop that both the configuration and the actors' threads need (no schema library here). */

/** Plans this risky or more wait for governance (held) instead of running: restarting a whole subtree (0.3) runs, anything riskier waits. */
export const DEFAULT_RISK_THRESHOLD = 0.7;
