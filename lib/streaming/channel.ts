import type { SseTransport, SseTransportEvent } from '../transport/sse-transport.interface.js';
import { encodeDataLines, encodeFrame } from '../wire/encoder.js';
import type { CloseReason, SseConnection } from './connection.js';
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
type ResetReason = 'history-exceeded' | 'unknown-id';

/** Events read from a shared history per round trip while a client catches up. */
const REMOTE_BATCH = 500;
/** Pause before reading again after a failed resync. */
const RESYNC_RETRY_MS = 1000;

/** Reports a replay that failed (the client's stream was ended; it reconnects). */
export type ReplayFailure = (channel: Channel, error: unknown) => void;

/**
 * One named channel on this instance: its clients grouped by their route's
 * event name, and its history.
 *
 * Events are encoded once; those that arrive within one turn of the event
 * loop are joined and written to every client in one write, once per event
 * name in use, the same bytes for every client of a group.
 *
 * With the in-memory transport the channel is the source of truth: `publish`
 * assigns the id and the history is the channel's. With a shared transport
 * (Redis) events arrive through `receive`, in the transport's order, and the
 * history is a local window of the shared one: `remote` is read for anything
 * older, and for anything the subscription may have missed.
 */
export class Channel {
  /** Live clients grouped by the event name of their route ('' for none). */
  private readonly groups = new Map<string, Set<SseConnection>>();
  /** Clients that joined but are not live yet (being replayed to); they move to their group once caught up. */
  private readonly catchingUp = new Set<SseConnection>();
  private readonly history: EventHistory;
  private pending: ChannelEvent[] = [];
  private flushQueued = false;
  private clients = 0;
  private seq = 0;
  /** The newest event this channel delivered (with a shared transport: since it subscribed). */
  private lastId: string | undefined;
  /** Tells this channel's ids from those of an earlier one of the same name (e.g. before a restart). */
  private readonly epoch = Date.now().toString(36);
  private readonly counters = { published: 0, droppedSlow: 0, replayed: 0, resets: 0 };
  /** Shared transport: events that arrived while the channel cannot tell whether it missed some. */
  private held: SseTransportEvent[] | undefined;
  private syncRound = 0;
  /** Requests waiting for the channel to start before they join; it is kept while there are any. */
  reserved = 0;
  /** Shared transport: settles once the channel is subscribed and knows its newest id. */
  ready: Promise<void> | undefined;
  /** Since when (ms since the epoch) the channel has had no clients. */
  idleSince = Date.now();

  constructor(
    readonly name: string,
    private readonly settings: ChannelSettings,
    /** Called when the channel has no clients left. */
    private readonly onIdle: (channel: Channel) => void,
    /** The shared transport, if the channel's events come from one. */
    private readonly remote?: SseTransport,
    private readonly onReplayFailure?: ReplayFailure,
  ) {
    this.history = new EventHistory(settings.history, settings.historyBytes);
    if (remote) {
      this.held = [];
    }
  }

  get clientCount(): number {
    return this.clients;
  }

  /** A snapshot of what the channel has done. */
  get stats(): ChannelStats {
    return { clients: this.clients, ...this.counters };
  }

  /** Whether the channel holds nothing worth keeping: no clients, nobody about to join, no history of its own. */
  get isDisposable(): boolean {
    return this.clients === 0 && this.reserved === 0 && (this.remote !== undefined || this.history.length === 0);
  }

  /**
   * In-memory transport: publishes one event whose data is already serialized
   * and validated.
   *
   * @returns the event's id: the caller's, or the channel's next one
   */
  publish(data: string, event: string | undefined, id?: string): string {
    const eventId = id ?? `${this.epoch}-${++this.seq}`;
    this.append({ id: eventId, event, body: `id: ${eventId}\n${encodeDataLines(data)}\n` });
    return eventId;
  }

  /** Shared transport: an event of this channel, published on any instance. */
  receive(event: SseTransportEvent): void {
    if (this.held) {
      this.held.push(event);
    } else {
      this.accept(toEntry(event));
    }
  }

  /**
   * Shared transport: the channel is subscribed and `newestId` was the newest
   * id then; events after it go to the clients that join from now on.
   */
  start(newestId: string | undefined): void {
    this.lastId = newestId ?? '0-0';
    this.history.startAfter(this.lastId);
    this.release();
  }

  /** Shared transport: the subscription was lost; hold what arrives until `resync()`. */
  suspend(): void {
    if (this.remote && this.lastId !== undefined) {
      this.held ??= [];
      this.syncRound++;
    }
  }

  /**
   * Shared transport: the subscription is back. Reads what was published
   * after the last delivered event, delivers it, then what arrived meanwhile.
   */
  async resync(): Promise<void> {
    const remote = this.remote;
    if (!remote || this.lastId === undefined) {
      return;
    }
    this.held ??= [];
    const round = ++this.syncRound;
    try {
      for (;;) {
        const from = this.lastId;
        const { events } = await remote.read(this.name, from, REMOTE_BATCH);
        if (round !== this.syncRound) {
          return;
        }
        this.acceptAll(events, from);
        if (events.length < REMOTE_BATCH) {
          break;
        }
      }
    } catch (error) {
      if (round === this.syncRound) {
        this.onReplayFailure?.(this, error);
        // Try again, unless the subscription is lost again (then resume() does) or nobody listens.
        setTimeout(() => {
          if (round === this.syncRound && this.clients + this.reserved > 0) {
            void this.resync();
          }
        }, RESYNC_RETRY_MS).unref();
      }
      return;
    }
    this.release();
  }

  /**
   * Adds a client. With `lastEventId` it first gets every event after that id
   * (or a reset event when the id cannot be resumed), then live events.
   */
  join(connection: SseConnection, lastEventId?: string): void {
    // Events published earlier in this turn go to the clients that were there.
    this.flush();
    this.clients++;
    this.idleSince = Infinity;
    // A member from here on, live only once it has what it missed.
    this.catchingUp.add(connection);
    if (lastEventId === undefined || lastEventId === '' || lastEventId === this.lastId) {
      this.goLive(connection);
      return;
    }
    if (!this.remote) {
      this.catchUp(connection, lastEventId);
      return;
    }
    const cursor = this.remote.parseId(lastEventId);
    if (cursor === undefined) {
      this.sendReset(connection, lastEventId, 'unknown-id');
      this.goLive(connection);
      return;
    }
    this.catchUpShared(connection, cursor, lastEventId);
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
      this.idleSince = Date.now();
      this.onIdle(this);
    }
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
  private append(entry: ChannelEvent): void {
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

  /** Shared transport: delivers an event unless this channel has delivered it (or a later one) already. */
  private accept(entry: ChannelEvent): void {
    if (this.lastId === undefined || this.remote!.compareIds(entry.id, this.lastId) > 0) {
      this.append(entry);
    }
  }

  /**
   * Shared transport: delivers events read from the shared history after
   * `from`. When `from` is not past the last delivered event, they continue
   * the channel's sequence without a gap, and the new ones go live at once.
   */
  private acceptAll(events: readonly SseTransportEvent[], from: string): ChannelEvent[] {
    const contiguous = this.remote!.compareIds(from, this.lastId!) <= 0;
    const entries = events.map(toEntry);
    if (contiguous) {
      for (const entry of entries) {
        this.accept(entry);
      }
    }
    return entries;
  }

  /** Shared transport: delivers what was held, then lets events through again. */
  private release(): void {
    const held = this.held;
    this.held = undefined;
    for (const event of held ?? []) {
      this.accept(toEntry(event));
    }
  }

  /** Moves a client that has all it missed into its live group (unless it is gone). */
  private goLive(connection: SseConnection): void {
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

  private isCatchingUp(connection: SseConnection): boolean {
    return !connection.closed && this.catchingUp.has(connection);
  }

  /** In-memory transport: replays the history after `cursor` (an exact id), then goes live. */
  private catchUp(connection: SseConnection, cursor: string): void {
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
   * Shared transport: replays what the client missed after `cursor` — from
   * the local window when it has all of it, else from the shared history —
   * then goes live.
   */
  private catchUpShared(connection: SseConnection, cursor: string, original: string): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    this.flush();
    const compare = this.remote!.compareIds;
    if (compare(cursor, this.lastId!) <= 0) {
      const missed = this.history.since(cursor, compare);
      if (missed) {
        if (missed.length === 0) {
          this.goLive(connection);
        } else {
          this.replay(connection, missed, 0, (next) => this.catchUpShared(connection, next, next));
        }
        return;
      }
    }
    void this.readShared(connection, cursor, original);
  }

  /**
   * One round trip to the shared history for a client at `cursor`. A client
   * ahead of this channel (its id came from an instance that got further) is
   * read for from the channel's own last event, so that what is read moves
   * the whole channel forward without a gap.
   */
  private async readShared(connection: SseConnection, cursor: string, original: string): Promise<void> {
    const remote = this.remote!;
    const from = remote.compareIds(cursor, this.lastId!) > 0 ? this.lastId! : cursor;
    let result;
    try {
      result = await remote.read(this.name, from, REMOTE_BATCH);
    } catch (error) {
      if (this.isCatchingUp(connection)) {
        this.onReplayFailure?.(this, error);
        // The client reconnects with its Last-Event-ID and tries again.
        connection.end();
      }
      return;
    }
    if (!this.isCatchingUp(connection)) {
      return;
    }
    const { lastId, trimmedUpTo } = result;
    const entries = this.acceptAll(result.events, from);
    if (lastId === undefined || remote.compareIds(cursor, lastId) > 0) {
      this.sendReset(connection, original, 'unknown-id');
      this.goLive(connection);
      return;
    }
    if (trimmedUpTo !== undefined && remote.compareIds(cursor, trimmedUpTo) < 0) {
      this.sendReset(connection, original, 'history-exceeded');
      this.goLive(connection);
      return;
    }
    let first = 0;
    while (first < entries.length && remote.compareIds(entries[first].id, cursor) <= 0) {
      first++;
    }
    if (first === entries.length) {
      // Nothing after the client's id when read: whatever came since is in the local window.
      this.catchUpShared(connection, cursor, original);
      return;
    }
    this.replay(connection, entries, first, (next) => this.catchUpShared(connection, next, next));
  }

  /**
   * Writes `events` from `start` to a catching-up client at the pace it reads
   * them: a slice of at most half its queue bound, the next once that one has
   * been flushed to the socket. After the last slice `then` runs in the same
   * turn with the id of the last event written, so that the client can go
   * live without a gap.
   */
  private replay(
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

  private sendReset(connection: SseConnection, lastEventId: string, reason: ResetReason): void {
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

  private readonly flush = (): void => {
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

function toEntry(event: SseTransportEvent): ChannelEvent {
  return { id: event.id, event: event.event, body: `id: ${event.id}\n${encodeDataLines(event.data)}\n` };
}
