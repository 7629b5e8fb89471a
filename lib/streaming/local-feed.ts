import { encodeEventBody } from '../wire/encoder.js';
import { FROM_START, UP_TO_DATE, type ChannelFeed, type ChannelSettings, type FeedSink, type Missed } from './feed.js';
import type { Audience } from './audience.js';
import type { HistoryBudget } from './history-budget.js';
import { EventHistory } from './history.js';

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
  /** Tells this channel's ids from those of an earlier one of the same name (e.g. before a restart). */
  private readonly epoch = Date.now().toString(36);
  private readonly history: EventHistory;

  constructor(
    settings: ChannelSettings,
    budget: HistoryBudget | undefined,
    private readonly sink: FeedSink,
  ) {
    this.history = new EventHistory(settings.history, settings.historyBytes, budget);
  }

  get keepsHistory(): boolean {
    return this.history.length > 0;
  }

  /** @returns the event's id: the caller's, or the channel's next one */
  publish(data: string, event: string | undefined, id?: string, audience?: Audience): string {
    const eventId = id ?? `${this.epoch}-${++this.seq}`;
    const entry = { id: eventId, event, body: encodeEventBody(eventId, data), audience };
    this.lastId = eventId;
    this.history.add(entry);
    this.sink.append(entry);
    return eventId;
  }

  missed(lastEventId: string): Missed {
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
    const ours = this.lastId !== undefined && lastEventId.startsWith(`${this.epoch}-`);
    return { events: [], reset: ours ? 'history-exceeded' : 'unknown-id' };
  }

  setActive(active: boolean): void {
    this.history.setActive(active);
  }

  dispose(): void {
    this.history.clear();
  }
}
