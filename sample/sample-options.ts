/** Injection token of the sample's own options. */
export const SAMPLE_OPTIONS = Symbol('SAMPLE_OPTIONS');

export interface SampleOptions {
  /** Milliseconds between ticker events (the seed: one second). */
  tickMs: number;
  /** Milliseconds between the tokens of the fake model's answer. */
  answerTokenMs: number;
  /**
   * A redis:// URL: channels are shared through Redis with every other
   * instance of the sample on it (`SSE_REDIS_URL`). Unset: in memory.
   */
  redisUrl?: string;
}
