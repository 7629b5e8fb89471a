/**
 * A message that may repeat often (a slow client dropped, a read that failed)
 * logged at most once per interval, with how many times it happened since the
 * last time it was logged. The one rate limiter of the library's logs.
 */
/** How often a repeating warning or error is logged at most: every 10 s. */
export const LOG_INTERVAL = 10_000;

export class RateLimitedLog {
  private count = 0;
  private last = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (message: string) => void,
  ) {}

  /** Counts one occurrence; logs `message(count)` unless the last log is younger than the interval. */
  report(message: (count: number) => string): void {
    this.count++;
    const now = Date.now();
    if (now - this.last < this.intervalMs) {
      return;
    }
    this.last = now;
    const count = this.count;
    this.count = 0;
    this.write(message(count));
  }
}
