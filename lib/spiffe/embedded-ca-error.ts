/** The embedded trust domain's CA cannot be used as asked (missing, already there, refused in production). */
export class EmbeddedCaError extends Error {
  override readonly name = 'EmbeddedCaError';
}
