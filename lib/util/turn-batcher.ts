/**
 * Collects what is due within one turn of the event loop and hands it over
 * once, in a microtask: the frames of one turn go to a client in one write,
 * the publishes of one turn to Redis in one pipeline. The one batcher of the
 * library.
 */
export class TurnBatcher<T> {
  private items: T[] = [];
  private queued = false;

  constructor(private readonly onFlush: (items: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    if (!this.queued) {
      this.queued = true;
      queueMicrotask(this.flush);
    }
  }

  /** Hands over what is pending now (the queued microtask then finds nothing). */
  readonly flush = (): void => {
    this.queued = false;
    if (this.items.length === 0) {
      return;
    }
    const items = this.items;
    this.items = [];
    this.onFlush(items);
  };

  /** Forgets what is pending. */
  clear(): void {
    this.items = [];
  }
}
