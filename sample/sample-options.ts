/** Injection token of the sample's own options. */
export const SAMPLE_OPTIONS = Symbol('SAMPLE_OPTIONS');

export interface SampleOptions {
  /** Milliseconds between ticker events (the seed: one second). */
  tickMs: number;
}
