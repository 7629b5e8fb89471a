/**
 * One `cancelWhenIdle`: a timer that runs while its channel has no client on
 * this instance; when it fires, other instances are asked (a shared
 * transport) and, if nobody listens anywhere, `onIdle` runs, once.
 */
export class IdleWatch {
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
    private readonly localClients: () => number,
    private readonly elsewhere: () => Promise<number>,
  ) {}

  /** Starts the clock, unless the channel has a client here (or it is running or done). */
  arm(): void {
    if (this.done || this.timer !== undefined || this.localClients() > 0) {
      return;
    }
    this.timer = setTimeout(this.fire, this.ms);
    this.timer.unref();
  }

  /** A client arrived, or the watch is over: stop the clock. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    if (this.done || this.localClients() > 0) {
      return;
    }
    this.elsewhere().then(
      (count) => {
        if (count > 0) {
          this.arm(); // listened to on another instance: look again later
        } else if (!this.done && this.localClients() === 0) {
          this.done = true;
          this.onIdle();
        }
      },
      () => this.arm(), // cannot tell now: look again later
    );
  };
}

/** The `cancelWhenIdle` watches of every channel. */
export class IdleWatches {
  private readonly watches = new Map<string, Set<IdleWatch>>();

  constructor(
    private readonly localClients: (channel: string) => number,
    private readonly elsewhere: (channel: string) => Promise<number>,
  ) {}

  /** Starts watching `channel`; @returns what stops it. */
  watch(channel: string, ms: number, onIdle: () => void): () => void {
    const watch = new IdleWatch(ms, onIdle, () => this.localClients(channel), () => this.elsewhere(channel));
    let set = this.watches.get(channel);
    if (!set) {
      set = new Set();
      this.watches.set(channel, set);
    }
    set.add(watch);
    watch.arm();
    return () => {
      watch.stop();
      set.delete(watch);
      if (set.size === 0 && this.watches.get(channel) === set) {
        this.watches.delete(channel);
      }
    };
  }

  /** The channel got a client: its clocks stop. */
  busy(channel: string): void {
    this.watches.get(channel)?.forEach((watch) => watch.stop());
  }

  /** The channel lost its last client: its clocks start. */
  idle(channel: string): void {
    this.watches.get(channel)?.forEach((watch) => watch.arm());
  }
}
