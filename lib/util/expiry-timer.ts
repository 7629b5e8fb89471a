import { MinHeap } from './min-heap.js';

interface Due<T> {
  readonly key: number;
  readonly item: T;
}

/**
 * When streams expire (their credential's `expiresAt`): one timer for the
 * whole app, set for the soonest expiry; items that went away before their
 * time are skipped when they come up. No timer per client.
 */
export class ExpiryTimer<T> {
  private readonly heap = new MinHeap<Due<T>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    /** Called at each item's time (unless it is gone: the callback checks). */
    private readonly expire: (item: T) => void,
  ) {}

  add(item: T, at: number): void {
    this.heap.push({ key: at, item });
    if (at < this.timerAt) {
      this.arm(at);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.heap.clear();
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    // (setTimeout takes at most ~24.8 days; a later expiry is looked at again then.)
    this.timer = setTimeout(this.fire, Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    for (let next = this.heap.peek(); next !== undefined && next.key <= now; next = this.heap.peek()) {
      this.heap.pop();
      this.expire(next.item);
    }
    const next = this.heap.peek();
    if (next) {
      this.arm(next.key);
    }
  };
}
