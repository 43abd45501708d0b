/** The node process's exit codes, so systemd and operators can tell failures apart. */
export const EXIT_OK = 0;
/** The supervision tree gave up at the root (or shutdown could not finish): systemd restarts the node. */
export const EXIT_FATAL = 1;
/** The configuration is invalid: restarting cannot help. */
export const EXIT_CONFIG = 2;
/**
 * The node's state cannot be used: the store (corrupt, or written by a newer version), or the node's
 * signing key (readable by others, not a key, a public key not its secret key's, or missing where
 * the configuration says it is). EX_CONFIG from sysexits.h.
 * The systemd unit lists it in RestartPreventExitStatus, so this does not become a crash loop.
 */
export const EXIT_STORE_REFUSED = 78;
/**
 * The post-quantum known-answer self-test failed (or liboqs did not load): EX_SOFTWARE from
 * sysexits.h. The node never runs with cryptography that gives wrong answers; restarting cannot help.
 */
export const EXIT_SELF_TEST = 70;
