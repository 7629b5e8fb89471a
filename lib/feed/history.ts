import type { Audience } from '../model/audience.js';
import type { BudgetedHistory, HistoryBudget } from './history-budget.js';

/** One published event as a channel keeps it: encoded once, written to every client. */
export interface ChannelEvent {
  /** The id every client of the channel sees for this event. */
  readonly id: string;
  /** The publisher's event name; without one each route's event name applies. */
  readonly event: string | undefined;
  /** `id: …` and `data: …` lines and the closing blank line, ready to write. */
  readonly body: string;
  /** Who it is for, when not everyone (`to` / `except`). */
  readonly audience?: Audience;
  /** Its position in the sequence across all channels (`undefined`: an event of a transport that gives none). */
  readonly seq?: number;
  /** The epoch of that sequence: the part of a stream cursor that names it (see model/stream-cursor.ts). */
  readonly epoch?: string;
}

/**
 * The last events of a channel, bounded by a count and by their total size, so
 * that a channel of big payloads cannot grow without limit — and, through the
 * shared {@link HistoryBudget}, by the size of every channel's history together.
 */
export class EventHistory implements BudgetedHistory {
  private events: ChannelEvent[] = [];
  /** The budget stamp of each event, alongside `events`. */
  private stamps: number[] = [];
  private head = 0;
  private bytes = 0;
  /**
   * For ordered ids: the id up to which events may be missing from the
   * history (the newest event it dropped, or where it started); every event
   * after it is here.
   */
  private floor: string | undefined;
  /** The `seq` of the newest event no longer kept (see `droppedSeq`). */
  private newestDropped = 0;
  /** Whether the channel has clients (set by the channel; the budget spares such histories longest). */
  active = false;
  budgetGeneration = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
    private readonly budget?: HistoryBudget,
    /** Its channel's name (the budget names a channel it emptied). */
    readonly channel?: string,
  ) {}

  /** Marks the history as complete after `id` (it holds every later event it is given). */
  startAfter(id: string): void {
    this.floor = id;
  }

  get length(): number {
    return this.events.length - this.head;
  }

  /** Size of the events kept (UTF-16 code units of their text; ASCII text: bytes). */
  get size(): number {
    return this.bytes;
  }

  get oldestStamp(): number {
    return this.stamps[this.head];
  }

  add(event: ChannelEvent): void {
    if (this.maxEvents === 0) {
      this.floor = event.id;
      this.newestDropped = event.seq ?? this.newestDropped;
      return;
    }
    this.events.push(event);
    this.stamps.push(this.budget?.stamp() ?? 0);
    this.bytes += event.body.length;
    this.budget?.add(this, event.body.length);
    while (this.length > this.maxEvents || (this.bytes > this.maxBytes && this.length > 1)) {
      this.dropOldest();
    }
    this.budget?.enforce();
  }

  dropOldest(): void {
    const dropped = this.events[this.head];
    this.bytes -= dropped.body.length;
    this.floor = dropped.id;
    this.newestDropped = dropped.seq ?? this.newestDropped;
    this.events[this.head++] = undefined as unknown as ChannelEvent;
    if (this.head === this.events.length) {
      // Empty: let go of the arrays (a channel whose history was evicted may stay idle long).
      this.events = [];
      this.stamps = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
    this.budget?.release(this, dropped.body.length, this.length === 0);
  }

  /** Its channel got its first client or lost its last one. */
  setActive(active: boolean): void {
    if (this.active !== active) {
      this.active = active;
      this.budget?.activityChanged(this);
    }
  }

  /** Forgets every event (the channel is dropped); the budget gets their size back. */
  clear(): void {
    const size = this.bytes;
    this.newestDropped = this.events.at(-1)?.seq ?? this.newestDropped;
    this.events = [];
    this.stamps = [];
    this.head = 0;
    this.bytes = 0;
    if (size > 0) {
      this.budget?.release(this, size, true);
    }
  }

  /** Every event kept, oldest first. */
  all(): ChannelEvent[] {
    return this.events.slice(this.head);
  }

  /** Whether an event was ever dropped from it (by its bounds or the budget). */
  get hasDropped(): boolean {
    return this.floor !== undefined;
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

  /** The `seq` of the newest event no longer kept (dropped, cleared, or never kept with history 0); 0 when none. */
  get droppedSeq(): number {
    return this.newestDropped;
  }

  /**
   * The events with a `seq` above `seq`, oldest first (a binary search: the
   * events of one history are in `seq` order). Events without one are never
   * above.
   */
  afterSeq(seq: number): ChannelEvent[] {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.events[middle].seq ?? -Infinity) > seq) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return this.events.slice(low);
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
