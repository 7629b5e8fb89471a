import type { SseTransport, SseTransportEvent } from '../interfaces/sse-transport.interface.js';
import { cursorReset, lostAfter } from './shared-history.js';
import { FROM_START, UP_TO_DATE, type ChannelFeed, type Cursor, type ChannelSettings, type FeedSink, type Missed, type MissedSince } from './feed.js';
import type { HistoryBudget } from './history-budget.js';
import { EventHistory, type ChannelEvent } from './history.js';
import { SequenceWindow } from './sequence-window.js';
import { toEntry } from './transport-entry.js';

/** Events read from the shared history per round trip. */
const REMOTE_BATCH = 500;
/** Pause before reading again after a failed resync. */
const RESYNC_RETRY_MS = 1000;

/** Reports a read of the shared history that failed. */
export type ReadFailure = (channel: string, error: unknown) => void;

/**
 * The feed of a channel shared through a transport (Redis): its events arrive
 * through `receive`, with the transport's ids, in the transport's order, on
 * every instance alike. The history here is a window of the shared one,
 * complete after the id the feed started at; the transport is read for
 * anything older, and for anything the subscription may have missed.
 *
 * The invariant: the feed hands its channel every event after its `lastId`,
 * once, in id order. Events are held back whenever it cannot tell whether it
 * missed some (before it starts, and from losing the subscription until it
 * has read what it missed), and anything read from the transport that
 * continues its sequence is handed over at once, so no read can leave a gap.
 */
export class SharedFeed implements ChannelFeed {
  lastId: string | undefined = undefined;
  readonly ready: Promise<void>;
  readonly keepsHistory = false;
  private readonly history: EventHistory;
  /** Events that arrived while the feed cannot tell whether it missed some. */
  private held: SseTransportEvent[] | undefined = [];
  private syncRound = 0;
  /** The subscription was lost before the feed started: it reads what it may have missed then. */
  private lostBeforeStart = false;
  private disposed = false;
  /** What the window can answer by position in the sequence across channels. */
  private readonly positions = new SequenceWindow();

  constructor(
    private readonly name: string,
    settings: ChannelSettings,
    private readonly sink: FeedSink,
    private readonly remote: SseTransport,
    budget: HistoryBudget | undefined,
    private readonly onReadFailure: ReadFailure,
    private readonly onDispose: (feed: SharedFeed) => void,
  ) {
    this.history = new EventHistory(settings.history, settings.historyBytes, budget, name);
    this.ready = remote.subscribe(name).then((newest) => this.start(newest));
  }

  /** An event of this channel, published on any instance. */
  receive(event: SseTransportEvent): void {
    if (this.held) {
      this.held.push(event);
    } else {
      this.accept(toEntry(event));
    }
  }

  /** The subscription was lost; hold what arrives until `resync()`. */
  suspend(): void {
    if (this.lastId === undefined) {
      this.lostBeforeStart = true;
    } else {
      this.held ??= [];
      this.syncRound++;
    }
  }

  /**
   * The subscription is back. Reads what was published after the last
   * delivered event, delivers it, then what arrived meanwhile.
   */
  async resync(): Promise<void> {
    if (this.lastId === undefined || this.disposed) {
      return;
    }
    this.held ??= [];
    const round = ++this.syncRound;
    try {
      for (;;) {
        const from = this.lastId;
        const read = await this.remote.read(this.name, from, REMOTE_BATCH);
        if (round !== this.syncRound) {
          return;
        }
        const lost = lostAfter(read, from, this.remote);
        if (lost) {
          // Gone while nobody here listened: the live clients are told, then get what is left.
          this.sink.gap(lost);
        }
        const { events } = read;
        this.acceptAll(events, from);
        if (events.length < REMOTE_BATCH) {
          break;
        }
      }
    } catch (error) {
      if (round === this.syncRound) {
        this.onReadFailure(this.name, error);
        // Try again, unless the subscription is lost again (then resume() does) or the channel is gone.
        setTimeout(() => {
          if (round === this.syncRound && !this.disposed) {
            void this.resync();
          }
        }, RESYNC_RETRY_MS).unref();
      }
      return;
    }
    this.release();
  }

  /** Resumes from a transport id: from the local window when it has all of it, else from the shared history. */
  missed(lastEventId: Cursor): Missed | Promise<Missed> {
    if (lastEventId === FROM_START) {
      return this.readShared('0-0', true);
    }
    const cursor = this.remote.parseId(lastEventId, this.name);
    if (cursor === undefined) {
      return { events: [], reset: 'unknown-id' };
    }
    return this.missedAfter(cursor);
  }

  /**
   * What a stream at position `seq` of the sequence `epoch` (`undefined`:
   * from the start) missed: from the window when it holds every event after
   * `seq` (and none is held back), else read from the shared history — a
   * page, which makes the window able to answer for what comes after it.
   */
  missedSince(seq: number, epoch: string | undefined): MissedSince | Promise<MissedSince> {
    if (this.held === undefined && this.positions.covers(seq, epoch, this.history.droppedSeq)) {
      return { events: this.history.afterSeq(seq), upTo: Infinity, epoch: epoch! };
    }
    return this.readSince(seq, epoch);
  }

  private async readSince(seq: number, epoch: string | undefined): Promise<MissedSince> {
    // Subscribed first: whatever is published after the read reaches the window.
    await this.ready;
    return this.positions.readShared(this.remote, this.name, seq, epoch);
  }

  setActive(active: boolean): void {
    this.history.setActive(active);
  }

  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      this.history.clear();
      this.remote.unsubscribe(this.name);
      this.onDispose(this);
    }
  }

  /** The feed is subscribed and `newest` was the newest event then; later events go to the channel. */
  private start(newest: SseTransportEvent | undefined): void {
    this.lastId = newest?.id ?? '0-0';
    if (newest) {
      // (A run that ended elsewhere: its end event is the newest.)
      this.sink.seed(toEntry(newest));
    }
    this.history.startAfter(this.lastId);
    if (this.lostBeforeStart) {
      // `newestId` may have been read before events the lost subscription missed.
      this.lostBeforeStart = false;
      void this.resync();
    } else {
      this.release();
    }
  }

  private missedAfter(cursor: string): Missed | Promise<Missed> {
    const compare = (a: string, b: string) => this.remote.compareIds(a, b);
    if (compare(cursor, this.lastId!) <= 0) {
      const events = this.history.since(cursor, compare);
      if (events) {
        return events.length === 0 ? UP_TO_DATE : { events };
      }
    }
    return this.readShared(cursor);
  }

  /**
   * One round trip to the shared history for a client at `cursor`. A client
   * ahead of this feed (its id came from an instance that got further) is
   * read for from the feed's own last event, so that what is read moves the
   * whole channel forward without a gap.
   */
  private async readShared(cursor: string, fromStart = false): Promise<Missed> {
    const { remote } = this;
    const from = remote.compareIds(cursor, this.lastId!) > 0 ? this.lastId! : cursor;
    const read = await remote.read(this.name, from, REMOTE_BATCH);
    const entries = this.acceptAll(read.events, from);
    if (fromStart) {
      // Everything the Stream still has (the reset first if its oldest are gone), then on from the
      // last; with nothing there yet, whatever arrived during the read is in the local window.
      if (entries.length === 0) {
        return this.missedAfter('0-0');
      }
      return { events: entries, reset: read.trimmedUpTo !== undefined ? 'history-exceeded' : undefined };
    }
    const reset = cursorReset(read, cursor, from === cursor, remote);
    if (reset) {
      return { events: [], reset };
    }
    const first = entries.findIndex((entry) => remote.compareIds(entry.id, cursor) > 0);
    // Nothing after the client's id when read: whatever came since is in the local window.
    return first === -1 ? this.missedAfter(cursor) : { events: entries.slice(first) };
  }

  /** Hands an event to the channel unless the feed has delivered it (or a later one) already. */
  private accept(entry: ChannelEvent): void {
    if (this.lastId === undefined || this.remote.compareIds(entry.id, this.lastId) > 0) {
      this.lastId = entry.id;
      this.positions.entered(entry);
      this.history.add(entry);
      this.sink.append(entry);
    }
  }

  /**
   * Takes events read from the shared history after `from`. When `from` is
   * not past the last delivered event, they continue the channel's sequence
   * without a gap, and the new ones go to the channel at once.
   */
  private acceptAll(events: readonly SseTransportEvent[], from: string): ChannelEvent[] {
    const entries = events.map(toEntry);
    if (this.lastId !== undefined && this.remote.compareIds(from, this.lastId) <= 0) {
      entries.forEach((entry) => this.accept(entry));
    }
    return entries;
  }

  /** Delivers what was held, then lets events through again. */
  private release(): void {
    const held = this.held;
    this.held = undefined;
    for (const event of held ?? []) {
      this.accept(toEntry(event));
    }
  }
}
