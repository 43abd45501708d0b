/** The node process's exit codes, so systemd and operators can tell failures apart. */
export const EXIT_OK = 0;
/** The supervision tree gave up at the root (or shutdown could not finish): systemd restarts the node. */
export const EXIT_FATAL = 1;
/** The configuration is invalid: restarting cannot help. */
export const EXIT_CONFIG = 2;
/**
 * The store cannot be used (corrupt, or written by a newer version): EX_CONFIG from sysexits.h.
 * The systemd unit lists it in RestartPreventExitStatus, so this does not become a crash loop.
 */
export const EXIT_STORE_REFUSED = 78;
/**
 * The post-quantum known-answer self-test failed (or liboqs did not load): EX_SOFTWARE from
 * sysexits.h. The node never runs with cryptography that gives wrong answers; restarting cannot help.
 */
export const EXIT_SELF_TEST = 70;
