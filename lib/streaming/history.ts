/** One published event as a channel keeps it: encoded once, written to every client. */
export interface ChannelEvent {
  /** The id every client of the channel sees for this event. */
  readonly id: string;
  /** The publisher's event name; without one each route's event name applies. */
  readonly event: string | undefined;
  /** `id: …` and `data: …` lines and the closing blank line, ready to write. */
  readonly body: string;
}

/**
 * The last events of a channel, bounded by a count and by their total size, so
 * that a channel of big payloads cannot grow without limit.
 */
export class EventHistory {
  private events: ChannelEvent[] = [];
  private head = 0;
  private bytes = 0;
  /**
   * For ordered ids: the id up to which events may be missing from the
   * history (the newest event it dropped, or where it started); every event
   * after it is here.
   */
  private floor: string | undefined;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** Marks the history as complete after `id` (it holds every later event it is given). */
  startAfter(id: string): void {
    this.floor = id;
  }

  get length(): number {
    return this.events.length - this.head;
  }

  add(event: ChannelEvent): void {
    if (this.maxEvents === 0) {
      this.floor = event.id;
      return;
    }
    this.events.push(event);
    this.bytes += event.body.length;
    while (this.length > this.maxEvents || (this.bytes > this.maxBytes && this.length > 1)) {
      const dropped = this.events[this.head];
      this.bytes -= dropped.body.length;
      this.floor = dropped.id;
      this.events[this.head++] = undefined as unknown as ChannelEvent;
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The events after the one with `id`, oldest first, or `undefined` when the
   * id is not in the history (too old, or never seen).
   */
  after(id: string): ChannelEvent[] | undefined {
    for (let i = this.events.length - 1; i >= this.head; i--) {
      if (this.events[i].id === id) {
        return this.events.slice(i + 1);
      }
    }
    return undefined;
  }

  /**
   * For ordered ids (after `startAfter()`): the events newer than `id`, oldest
   * first, or `undefined` when some of them may be missing here.
   */
  since(id: string, compare: (a: string, b: string) => number): ChannelEvent[] | undefined {
    if (this.floor === undefined || compare(id, this.floor) < 0) {
      return undefined;
    }
    let i = this.events.length;
    while (i > this.head && compare(this.events[i - 1].id, id) > 0) {
      i--;
    }
    return this.events.slice(i);
  }
}
