/** What the sweeper needs of a channel. */
export interface Sweepable {
  readonly clientCount: number;
  readonly waiting: number;
  /** Since when (ms since the epoch) it has had no clients. */
  readonly idleSince: number;
}

/**
 * Drops channels that have had no clients for longer than `historyTtl`, from
 * one timer that runs only while such channels exist.
 */
export class IdleSweeper<T extends Sweepable> {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ttlMs: number,
    private readonly channels: () => Iterable<T>,
    private readonly drop: (channel: T) => void,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** A channel is idle and kept: make sure a sweep will come. */
  watch(): void {
    if (this.ttlMs === 0 || this.timer !== undefined || this.stopped) {
      return;
    }
    this.timer = setInterval(this.sweep, Math.min(this.ttlMs, 60_000));
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private readonly sweep = (): void => {
    const expired = Date.now() - this.ttlMs;
    let idle = 0;
    for (const channel of [...this.channels()]) {
      if (channel.clientCount === 0 && channel.waiting === 0) {
        if (channel.idleSince <= expired) {
          this.drop(channel);
        } else {
          idle++;
        }
      }
    }
    if (idle === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };
}
