/**
 * The node's post-quantum identity for its peer-link sessions: the node's ML-DSA-65 key pair, read
 * from its key file (lib/crypto/node-key-file.ts; the node creates it before its actors start, so a
 * key missing here is an error, never a new identity), and for each SVID a node record binding that
 * key to the SPIFFE ID (lib/crypto/node-record.ts), signed with the SVID's key and valid no longer
 * than the SVID. Without a key file (links built directly, as in the transport's own tests and
 * benchmarks) the key pair lasts as long as this object.
 */
import { createPrivateKey } from 'node:crypto';
import { loadPqc, type Pqc } from '../../lib/crypto/liboqs.js';
import { encodeNodeRecord, nodeKeyFingerprint } from '../../lib/crypto/node-record.js';
import type { LocalIdentity } from '../../lib/crypto/pq-handshake.js';
import { selfTestXWing } from '../../lib/crypto/self-test.js';
import { readNodeKey } from '../../lib/crypto/node-key-file.js';
import { xwingKeyPair, type XWingKeyPair } from '../../lib/crypto/xwing.js';
import type { NodeCredentials } from '../runtime/contracts/transport.js';

export class PqIdentity {
  constructor(private readonly nodeKeyFile?: string) {}

  private pqcInstance: Pqc | undefined;
  private mldsa: { publicKey: Uint8Array; secretKey: Uint8Array } | undefined;
  private localIdentity: LocalIdentity | undefined;
  private kemKeyPair: XWingKeyPair | undefined;

  /** The liboqs instance the sessions use; set by the first bind(). */
  get pqc(): Pqc {
    if (!this.pqcInstance) throw new Error('the post-quantum identity is not bound to an SVID yet');
    return this.pqcInstance;
  }

  /**
   * The X-Wing key pair end-to-end messages to this node are sealed for (its member record carries
   * the public half). Made once per run and never stored: a key read from the disk of a stopped
   * node opens none of the messages it received.
   */
  get kem(): XWingKeyPair {
    if (!this.kemKeyPair) throw new Error('the post-quantum identity is not bound to an SVID yet');
    return this.kemKeyPair;
  }

  /** The SHA-256 (hex) of the node's ML-DSA public key, once bound. */
  get fingerprint(): string | undefined {
    return this.mldsa ? nodeKeyFingerprint(this.mldsa.publicKey) : undefined;
  }

  /** What a session presents: the ML-DSA key and the node record of the current SVID. */
  get local(): LocalIdentity {
    if (!this.localIdentity) throw new Error('the post-quantum identity is not bound to an SVID yet');
    return this.localIdentity;
  }

  /** Binds the node's ML-DSA key to this SVID (the first call loads and checks liboqs and makes the key). */
  async bind(credentials: NodeCredentials): Promise<void> {
    if (!this.pqcInstance) {
      const pqc = await loadPqc();
      // This thread's liboqs instance answers X-Wing's known answers (ML-KEM-768, X25519, SHA-3) before
      // any link uses it; the full self-test ran in the main thread at start (cli/run-node.ts).
      selfTestXWing(pqc);
      this.pqcInstance = pqc;
    }
    this.mldsa ??= this.nodeKey(this.pqcInstance);
    this.kemKeyPair ??= xwingKeyPair(this.pqcInstance.kem('ML-KEM-768'));
    const svidKey = createPrivateKey({ key: Buffer.from(credentials.privateKey), format: 'der', type: 'pkcs8' });
    this.localIdentity = {
      spiffeId: credentials.spiffeId,
      svidKey,
      mldsa: this.mldsa,
      record: encodeNodeRecord({ spiffeId: credentials.spiffeId, mldsaPublicKey: this.mldsa.publicKey, notAfter: credentials.expiresAt }, svidKey),
    };
  }

  private nodeKey(pqc: Pqc): { publicKey: Uint8Array; secretKey: Uint8Array } {
    return this.nodeKeyFile === undefined ? pqc.mldsa65.keypair() : readNodeKey(this.nodeKeyFile, pqc.mldsa65);
  }
}
