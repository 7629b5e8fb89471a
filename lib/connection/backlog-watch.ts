/** What the watch needs of a connection whose backlog is above its bound. */
export interface Backlogged {
  /** Whether its unsent bytes are above its bound right now. */
  readonly isBacklogged: boolean;
  /**
   * Called by the watch's timer: drops the client if its backlog has stayed
   * above the bound for `timeoutMs`; returns whether it is still above.
   */
  checkBacklog(now: number, timeoutMs: number): boolean;
}

/** Most time between two checks of a backlogged client. */
const MAX_CHECK_INTERVAL = 250;

/**
 * The shared timer of the slow-client rule: the clients whose unsent bytes are
 * above `maxQueuedBytes` are checked a few times per `timeoutMs` and dropped
 * once they have stayed above it that long. One timer for the whole app, and
 * it runs only while some client is above its bound; no timer per client.
 */
export class BacklogWatch {
  private readonly watched = new Set<Backlogged>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Number of clients above their bound right now. */
  get size(): number {
    let count = 0;
    for (const connection of this.watched) {
      if (connection.isBacklogged) {
        count++;
      }
    }
    return count;
  }

  /** Starts watching a client that has just gone above its bound. */
  add(connection: Backlogged): void {
    this.watched.add(connection);
    if (this.timer === undefined) {
      const interval = Math.max(10, Math.min(MAX_CHECK_INTERVAL, Math.floor(this.timeoutMs / 4)));
      this.timer = setInterval(this.check, interval);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private readonly check = (): void => {
    const now = Date.now();
    for (const connection of this.watched) {
      if (!connection.checkBacklog(now, this.timeoutMs)) {
        this.watched.delete(connection);
      }
    }
    if (this.watched.size === 0) {
      this.stop();
    }
  };
}
