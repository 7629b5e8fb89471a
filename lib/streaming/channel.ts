import { encodeDataLines, encodeFrame } from '../wire/encoder.js';
import type { CloseReason, SseConnection } from './connection.js';
import type { HistoryBudget } from './history-budget.js';
import { EventHistory, type ChannelEvent } from './history.js';

/** How a channel keeps its past, and what it sends a client it cannot resume. */
export interface ChannelSettings {
  history: number;
  historyBytes: number;
  resetEvent: string;
}

/** What a channel has done, for `SseBroadcaster.stats()`. */
export interface ChannelStats {
  clients: number;
  published: number;
  droppedSlow: number;
  replayed: number;
  resets: number;
}

/** Why a client's `Last-Event-ID` could not be resumed. */
export type ResetReason = 'history-exceeded' | 'unknown-id';

/**
 * One named channel on this instance: its clients grouped by their route's
 * event name, and its history.
 *
 * Events are encoded once; those that arrive within one turn of the event
 * loop are joined and written to every client in one write, once per event
 * name in use, the same bytes for every client of a group.
 *
 * This is the channel of the in-memory transport: it is the source of truth,
 * `publish` assigns the id and the history is the channel's own.
 * {@link SharedChannel} is the one of a shared transport (Redis).
 */
export class Channel {
  /** Live clients grouped by the event name of their route ('' for none). */
  protected readonly groups = new Map<string, Set<SseConnection>>();
  /** Clients that joined but are not live yet (being replayed to); they move to their group once caught up. */
  protected readonly catchingUp = new Set<SseConnection>();
  protected readonly history: EventHistory;
  private pending: ChannelEvent[] = [];
  private flushQueued = false;
  protected clients = 0;
  private seq = 0;
  /** The newest event this channel delivered (with a shared transport: since it subscribed). */
  protected lastId: string | undefined;
  /** Tells this channel's ids from those of an earlier one of the same name (e.g. before a restart). */
  private readonly epoch = Date.now().toString(36);
  protected readonly counters = { published: 0, droppedSlow: 0, replayed: 0, resets: 0 };
  /** Requests waiting for the channel to start before they join; it is kept while there are any. */
  reserved = 0;
  /** Settles once the channel can take clients (a shared one: once it is subscribed). */
  ready: Promise<void> | undefined;
  /** Since when (ms since the epoch) the channel has had no clients. */
  idleSince = Date.now();

  constructor(
    readonly name: string,
    private readonly settings: ChannelSettings,
    /** Called when the channel has no clients left. */
    private readonly onIdle: (channel: Channel) => void,
    /** The bound on the history of all channels together. */
    budget?: HistoryBudget,
  ) {
    this.history = new EventHistory(settings.history, settings.historyBytes, budget);
  }

  get clientCount(): number {
    return this.clients;
  }

  /** A snapshot of what the channel has done. */
  get stats(): ChannelStats {
    return { clients: this.clients, ...this.counters };
  }

  /** Size of the events the channel keeps for replay (the `historyBytes` measure). */
  get historySize(): number {
    return this.history.size;
  }

  /** Whether the channel holds nothing worth keeping: no clients, nobody about to join, no history. */
  get isDisposable(): boolean {
    return this.clients === 0 && this.reserved === 0 && this.history.length === 0;
  }

  /**
   * Publishes one event whose data is already serialized and validated (the
   * in-memory transport).
   *
   * @returns the event's id: the caller's, or the channel's next one
   */
  publish(data: string, event: string | undefined, id?: string): string {
    const eventId = id ?? `${this.epoch}-${++this.seq}`;
    this.append({ id: eventId, event, body: `id: ${eventId}\n${encodeDataLines(data)}\n` });
    return eventId;
  }

  /**
   * Adds a client. With `lastEventId` it first gets every event after that id
   * (or a reset event when the id cannot be resumed), then live events.
   */
  join(connection: SseConnection, lastEventId?: string): void {
    // Events published earlier in this turn go to the clients that were there.
    this.flush();
    if (this.clients++ === 0) {
      this.history.setActive(true);
    }
    this.idleSince = Infinity;
    // A member from here on, live only once it has what it missed.
    this.catchingUp.add(connection);
    if (lastEventId === undefined || lastEventId === '' || lastEventId === this.lastId) {
      this.goLive(connection);
      return;
    }
    this.catchUp(connection, lastEventId);
  }

  /** Removes a client whose stream ended. */
  leave(connection: SseConnection, reason: CloseReason): void {
    const group = this.groups.get(connection.eventName);
    if (group?.delete(connection)) {
      if (group.size === 0) {
        this.groups.delete(connection.eventName);
      }
    } else if (!this.catchingUp.delete(connection)) {
      return;
    }
    if (reason === 'slow') {
      this.counters.droppedSlow++;
    }
    this.clients--;
    if (this.clients === 0) {
      this.pending = [];
      this.history.setActive(false);
      this.idleSince = Date.now();
      this.onIdle(this);
    }
  }

  /** The channel is dropped: its history is forgotten (and given back to the budget). */
  dispose(): void {
    this.history.clear();
  }

  /** Ends every client's stream of this channel. */
  close(): void {
    this.flush();
    const everyone = [...this.catchingUp];
    for (const group of this.groups.values()) {
      everyone.push(...group);
    }
    for (const connection of everyone) {
      connection.end();
    }
  }

  /** Delivers one event to the live clients and keeps it in the history. */
  protected append(entry: ChannelEvent): void {
    this.lastId = entry.id;
    this.counters.published++;
    this.history.add(entry);
    if (this.groups.size > 0) {
      this.pending.push(entry);
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flush);
      }
    }
  }

  /** Moves a client that has all it missed into its live group (unless it is gone). */
  protected goLive(connection: SseConnection): void {
    if (!this.catchingUp.delete(connection) || connection.closed) {
      return;
    }
    let group = this.groups.get(connection.eventName);
    if (!group) {
      group = new Set();
      this.groups.set(connection.eventName, group);
    }
    group.add(connection);
  }

  protected isCatchingUp(connection: SseConnection): boolean {
    return !connection.closed && this.catchingUp.has(connection);
  }

  /** Replays the history after `cursor` (found by exact match), then goes live. */
  protected catchUp(connection: SseConnection, cursor: string): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    this.flush();
    if (cursor === this.lastId) {
      this.goLive(connection);
      return;
    }
    const missed = this.history.after(cursor);
    if (!missed) {
      const known = this.lastId !== undefined && cursor.startsWith(`${this.epoch}-`);
      this.sendReset(connection, cursor, known ? 'history-exceeded' : 'unknown-id');
      this.goLive(connection);
      return;
    }
    if (missed.length === 0) {
      this.goLive(connection);
      return;
    }
    this.replay(connection, missed, 0, (next) => this.catchUp(connection, next));
  }

  /**
   * Writes `events` from `start` to a catching-up client at the pace it reads
   * them: a slice of at most half its queue bound, the next once that one has
   * been flushed to the socket. After the last slice `then` runs in the same
   * turn with the id of the last event written, so that the client can go
   * live without a gap.
   */
  protected replay(
    connection: SseConnection,
    events: readonly ChannelEvent[],
    start: number,
    then: (lastWritten: string) => void,
  ): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    const budget = connection.maxQueuedBytes > 0 ? connection.maxQueuedBytes / 2 : Infinity;
    let text = '';
    let end = start;
    while (end < events.length && (end === start || text.length + events[end].body.length <= budget)) {
      text += this.frameOf(events[end], connection.eventName);
      end++;
    }
    this.counters.replayed += end - start;
    const lastWritten = events[end - 1].id;
    if (end === events.length) {
      connection.write(text);
      then(lastWritten);
      return;
    }
    connection.write(text, () => this.replay(connection, events, end, then));
  }

  protected sendReset(connection: SseConnection, lastEventId: string, reason: ResetReason): void {
    this.counters.resets++;
    connection.write(
      encodeFrame({
        event: this.settings.resetEvent,
        id: this.lastId,
        data: JSON.stringify({ reason, lastEventId, channel: this.name }),
      }),
    );
  }

  private frameOf(entry: ChannelEvent, groupEvent: string): string {
    const event = entry.event ?? groupEvent;
    return event === '' ? entry.body : `event: ${event}\n${entry.body}`;
  }

  protected readonly flush = (): void => {
    this.flushQueued = false;
    if (this.pending.length === 0) {
      return;
    }
    const events = this.pending;
    this.pending = [];
    for (const [eventName, group] of this.groups) {
      let text = '';
      for (const entry of events) {
        text += this.frameOf(entry, eventName);
      }
      const bytes = Buffer.from(text, 'utf8');
      for (const connection of group) {
        connection.write(bytes);
      }
    }
  };
}

