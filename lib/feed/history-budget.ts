import { MinHeap } from '../util/min-heap.js';

/** What the budget needs of one channel's history. */
export interface BudgetedHistory {
  /** Whether its channel has clients: histories of idle channels give up events first. */
  readonly active: boolean;
  /** Whether it holds any event. */
  readonly length: number;
  /** The budget stamp of its oldest event (stamps grow with time across all channels). */
  readonly oldestStamp: number;
  /** Bumped whenever the history's heap entry is replaced; older entries are stale. */
  budgetGeneration: number;
  /** Drops its oldest event (the budget is told through `release`). */
  dropOldest(): void;
  /** Its channel's name, when it has one. */
  readonly channel?: string;
}

interface Entry {
  readonly key: number;
  readonly history: BudgetedHistory;
  readonly generation: number;
}

/**
 * One bound on the history of all channels together (`totalHistoryBytes`).
 * Every event a history keeps gets a stamp from here; once the total passes
 * the bound, the events with the oldest stamps go first — from channels
 * without clients, then, if that is not enough, from channels with clients.
 *
 * Two heaps (idle and active histories) keyed by each history's oldest stamp;
 * an entry is checked when it comes out (lazily), and the heaps are rebuilt
 * when stale entries outnumber live ones, so their size stays proportional to
 * the number of histories that hold events.
 */
export class HistoryBudget {
  /** Total size of every history's events (the `historyBytes` measure). */
  total = 0;
  /** Events dropped to keep within the bound. */
  evicted = 0;
  private stamps = 0;
  private readonly idle = new MinHeap<Entry>();
  private readonly active = new MinHeap<Entry>();
  /** Histories holding events. */
  private readonly members = new Set<BudgetedHistory>();
  /** Channels whose every event the budget took, told in one batch after the turn's evictions. */
  private emptied: string[] | undefined;
  /** Told the channels whose whole history the budget took (so that one without clients can go at once, not after `history.ttl`). */
  onEmptied: ((channels: readonly string[]) => void) | undefined;

  constructor(
    /** The bound; 0 for none (the total is still counted). */
    readonly limit: number,
  ) {}

  /** The stamp of an event being added now. */
  stamp(): number {
    return ++this.stamps;
  }

  /** `history` now keeps `size` more (call once the history has the event; then `enforce()`). */
  add(history: BudgetedHistory, size: number): void {
    this.total += size;
    if (!this.members.has(history)) {
      this.members.add(history);
      this.enqueue(history);
    }
  }

  /** `history` dropped `size` (its own bounds, or `dropOldest`); `empty` when it holds nothing now. */
  release(history: BudgetedHistory, size: number, empty: boolean): void {
    this.total -= size;
    if (empty && this.members.delete(history)) {
      history.budgetGeneration++;
    }
  }

  /** Its channel got its first client, or lost its last one. */
  activityChanged(history: BudgetedHistory): void {
    if (this.members.has(history)) {
      this.enqueue(history);
    }
  }

  private enqueue(history: BudgetedHistory): void {
    const generation = ++history.budgetGeneration;
    (history.active ? this.active : this.idle).push({ key: history.oldestStamp, history, generation });
    if (this.idle.size + this.active.size > 2 * this.members.size + 64) {
      this.rebuild();
    }
  }

  private rebuild(): void {
    this.idle.clear();
    this.active.clear();
    for (const history of this.members) {
      const generation = ++history.budgetGeneration;
      (history.active ? this.active : this.idle).push({ key: history.oldestStamp, history, generation });
    }
  }

  private tellEmptied(channel: string): void {
    if (this.emptied === undefined) {
      this.emptied = [];
      // (Not while a history is being added to: after the publish that made room.)
      queueMicrotask(() => {
        const channels = this.emptied!;
        this.emptied = undefined;
        this.onEmptied?.(channels);
      });
    }
    this.emptied.push(channel);
  }

  /** Drops the oldest events until the total is within the bound. */
  enforce(): void {
    if (this.limit === 0) {
      return;
    }
    while (this.total > this.limit) {
      const heap = this.idle.size > 0 ? this.idle : this.active;
      const entry = heap.pop();
      if (entry === undefined) {
        return;
      }
      const { history } = entry;
      if (entry.generation !== history.budgetGeneration || history.length === 0) {
        continue;
      }
      if (entry.key !== history.oldestStamp || history.active !== (heap === this.active)) {
        // Its oldest event went by its own bounds meanwhile, or its channel changed sides.
        (history.active ? this.active : this.idle).push({ key: history.oldestStamp, history, generation: entry.generation });
        continue;
      }
      history.dropOldest();
      this.evicted++;
      if (history.length > 0) {
        heap.push({ key: history.oldestStamp, history, generation: entry.generation });
      } else if (history.channel !== undefined && this.onEmptied) {
        this.tellEmptied(history.channel);
      }
    }
  }
}
