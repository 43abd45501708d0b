/** A linked peer fell silent: its failure detector's phi passed the threshold, so its connection was closed (link-heartbeat.ts). */
export class PeerSilentError extends Error {
  override readonly name = 'PeerSilentError';
  constructor(
    readonly peer: string,
    readonly phi: number,
    readonly silenceMs: number,
  ) {
    super(`${peer} was silent for ${Math.round(silenceMs)} ms (phi ${phi.toFixed(1)})`);
  }
}
