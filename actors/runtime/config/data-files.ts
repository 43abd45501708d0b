/** Files a node keeps in its data directory; in a module of their own so readers (the CLI) need not load the runtime. */

/** The store's file inside the data directory. */
export const DATABASE_FILE_NAME = 'x0tta6bl4.db';

/** The node's ML-DSA-65 signing key inside the data directory, unless identity.nodeKeyFile names another (lib/crypto/node-key-file.ts). */
export const NODE_KEY_FILE_NAME = 'node-key.mldsa65';
