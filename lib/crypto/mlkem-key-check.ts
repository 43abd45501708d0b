/**
 * FIPS 203 §7.2, the input checks ML-KEM.Encaps requires of an encapsulation key: the type
 * check (384·k + 32 bytes) and the modulus check (ByteEncode12(ByteDecode12(ek)) = ek, that is,
 * every 12-bit coefficient of the encoded vector t̂ is below q = 3329). A key failing either is
 * refused before liboqs sees it, so a malformed key is a typed error, never a silent reduction.
 */
import { InvalidKeyMaterialError } from './crypto-errors.js';
import type { KemAlgorithm } from './liboqs.js';

const Q = 3329;
const RANK: Record<KemAlgorithm, number> = { 'ML-KEM-768': 3, 'ML-KEM-1024': 4 };

export function checkEncapsulationKey(algorithm: KemAlgorithm, ek: Uint8Array): void {
  const k = RANK[algorithm];
  const length = 384 * k + 32;
  if (ek.length !== length) throw new InvalidKeyMaterialError(`an ${algorithm} encapsulation key must be ${length} bytes, is ${ek.length}`);
  // Two 12-bit coefficients per three bytes, little-endian (ByteDecode12).
  for (let i = 0; i < 384 * k; i += 3) {
    const b0 = ek[i]!;
    const b1 = ek[i + 1]!;
    const b2 = ek[i + 2]!;
    const first = b0 | ((b1 & 0x0f) << 8);
    const second = (b1 >> 4) | (b2 << 4);
    if (first >= Q || second >= Q) {
      throw new InvalidKeyMaterialError(`an ${algorithm} encapsulation key fails the modulus check: coefficient ${(i / 3) * 2 + (first >= Q ? 0 : 1)} is ${first >= Q ? first : second}, not below q = ${Q}`);
    }
  }
}
