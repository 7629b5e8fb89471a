import { encodeEventBody } from '../wire/encoder.js';
import { FROM_START, UP_TO_DATE, type ChannelFeed, type Cursor, type ChannelSettings, type FeedSink, type Missed, type MissedSince } from './feed.js';
import type { Audience } from '../model/audience.js';
import type { HistoryBudget } from './history-budget.js';
import { EventHistory } from './history.js';
import { newEpoch } from '../util/epoch.js';
import { StreamSequence } from './sequence.js';

/** How a channel writes `<n>` in its ids: decimal, no leading zero. */
const SEQUENCE = /^[1-9][0-9]*$/;

/**
 * The feed of a channel in memory: it is the source of truth. A publish gets
 * the channel's next id (`<epoch>-<n>`) or the caller's, is kept in the
 * history and goes to the channel at once. Replay finds a client's id by
 * exact match.
 */
export class LocalFeed implements ChannelFeed {
  lastId: string | undefined = undefined;
  readonly ready = undefined;
  private seq = 0;
  /** Tells this channel's ids from those of any other channel, e.g. one of the same name before a restart. */
  private readonly epoch = newEpoch();
  private readonly history: EventHistory;
  /** The channel's end event was published: it takes nothing more (as the Redis transport refuses it). */
  private ended = false;
  /** The sequence's position when this feed was made: it cannot tell what a channel of the same name published up to there. */
  private readonly bornSeq: number;

  constructor(
    private readonly settings: ChannelSettings,
    budget: HistoryBudget | undefined,
    private readonly sink: FeedSink,
    /** The sequence across the channels of its source (`LocalFeeds`); a feed made alone has one of its own. */
    private readonly sequence = new StreamSequence(),
    /** Its channel's name, for the budget (see `HistoryBudget.onEmptied`). */
    channel?: string,
  ) {
    this.history = new EventHistory(settings.history, settings.historyBytes, budget, channel);
    this.bornSeq = sequence.current;
  }

  get keepsHistory(): boolean {
    return this.history.length > 0;
  }

  /**
   * @returns the event's id: the caller's, or the channel's next one;
   * `undefined` once the channel has ended (nothing is appended after its end
   * event, presence events included)
   */
  publish(data: string, event: string | undefined, id?: string, audience?: Audience): string | undefined {
    if (this.ended) {
      return undefined;
    }
    this.ended = event === this.settings.endEvent;
    const eventId = id ?? `${this.epoch}-${++this.seq}`;
    const entry = { id: eventId, event, body: encodeEventBody(eventId, data), audience, seq: this.sequence.next(), epoch: this.sequence.epoch };
    this.lastId = eventId;
    this.history.add(entry);
    this.sink.append(entry);
    return eventId;
  }

  missed(lastEventId: Cursor): Missed {
    if (lastEventId === FROM_START) {
      // Everything still here; the reset first if the oldest is gone already.
      return { events: this.history.all(), reset: this.history.hasDropped ? 'history-exceeded' : undefined };
    }
    if (lastEventId === this.lastId) {
      return UP_TO_DATE;
    }
    const events = this.history.after(lastEventId);
    if (events) {
      return { events };
    }
    return { events: [], reset: this.issued(lastEventId) ? 'history-exceeded' : 'unknown-id' };
  }

  /**
   * What a client at position `seq` of sequence `epoch` missed (`epoch`
   * undefined: from the start): the events kept with a greater `seq`, in
   * order — all of them (`upTo` Infinity). With a reset first when some of
   * them may be gone: `history-exceeded` when an event newer than `seq` is no
   * longer kept (by count, bytes or the global budget); else `unknown-id` when
   * this feed was made after `seq` (a former channel of the same name may
   * have published what it cannot tell), or the cursor is of another sequence.
   */
  missedSince(seq: number, epoch: string | undefined): MissedSince {
    const sequence = this.sequence;
    if (epoch !== undefined && epoch !== sequence.epoch) {
      return { events: [], reset: 'unknown-id', upTo: Infinity, epoch: sequence.epoch };
    }
    if (seq >= sequence.current) {
      return { events: [], upTo: Infinity, epoch: sequence.epoch };
    }
    const events = this.history.afterSeq(seq);
    const reset = this.history.droppedSeq > seq ? 'history-exceeded' : epoch !== undefined && this.bornSeq > seq ? 'unknown-id' : undefined;
    return { events, reset, upTo: Infinity, epoch: sequence.epoch };
  }

  /**
   * Whether this channel gave out `id` (so it fell out of the history): its
   * epoch, then a number it has reached, written as it writes them. An id
   * ahead of its last one is not its own: it never issued it.
   */
  private issued(id: string): boolean {
    const prefix = `${this.epoch}-`;
    if (!id.startsWith(prefix)) {
      return false;
    }
    const n = id.slice(prefix.length);
    return SEQUENCE.test(n) && Number(n) <= this.seq;
  }

  setActive(active: boolean): void {
    this.history.setActive(active);
  }

  dispose(): void {
    this.history.clear();
  }
}
