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

/**
 * One named channel: its clients grouped by their route's event name, its id
 * sequence and its history.
 *
 * `publish` encodes an event once; frames published within one turn of the
 * event loop are joined and written to every client in one write, once per
 * event name in use, the same bytes for every client of a group.
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
  private lastId: string | undefined;
  /** Tells this channel's ids from those of an earlier one of the same name (e.g. before a restart). */
  private readonly epoch = Date.now().toString(36);
  private readonly counters = { published: 0, droppedSlow: 0, replayed: 0, resets: 0 };
  /** Since when (ms since the epoch) the channel has had no clients. */
  idleSince = Date.now();

  constructor(
    readonly name: string,
    private readonly settings: ChannelSettings,
    /** Called when the channel has no clients left. */
    private readonly onIdle: (channel: Channel) => void,
  ) {
    this.history = new EventHistory(settings.history, settings.historyBytes);
  }

  get clientCount(): number {
    return this.clients;
  }

  /** A snapshot of what the channel has done. */
  get stats(): ChannelStats {
    return { clients: this.clients, ...this.counters };
  }

  /** Whether the channel holds nothing worth keeping: no clients and no history. */
  get isDisposable(): boolean {
    return this.clients === 0 && this.history.length === 0;
  }

  /**
   * Publishes one event whose data is already serialized and validated.
   *
   * @returns the event's id: the caller's, or the channel's next one
   */
  publish(data: string, event: string | undefined, id?: string): string {
    const eventId = id ?? `${this.epoch}-${++this.seq}`;
    const entry: ChannelEvent = { id: eventId, event, body: `id: ${eventId}\n${encodeDataLines(data)}\n` };
    this.lastId = eventId;
    this.counters.published++;
    this.history.add(entry);
    if (this.groups.size > 0) {
      this.pending.push(entry);
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flush);
      }
    }
    return eventId;
  }

  /**
   * Adds a client. With `lastEventId` it first gets every event after that id
   * (or a reset event when the id is not in the history), then live events.
   */
  join(connection: SseConnection, lastEventId?: string): void {
    // Events published earlier in this turn go to the clients that were there.
    this.flush();
    this.clients++;
    this.idleSince = Infinity;
    // A member from here on, live only once it has what it missed.
    this.catchingUp.add(connection);
    if (lastEventId !== undefined && lastEventId !== '' && lastEventId !== this.lastId) {
      if (this.history.after(lastEventId)) {
        this.catchUp(connection, lastEventId);
        return;
      }
      this.sendReset(connection, lastEventId);
    }
    this.goLive(connection);
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

  /**
   * Replays the history after `cursor` at the pace the client reads it: a
   * slice of at most half the client's queue bound, the next once that one
   * has been flushed to the socket. Events published meanwhile land in the
   * history, so the client is still behind; once the last missed event is
   * written it joins the live group in the same turn — no gap, no duplicate,
   * and never more queued for it than the bound.
   */
  private catchUp(connection: SseConnection, cursor: string): void {
    if (connection.closed || !this.catchingUp.has(connection)) {
      return;
    }
    this.flush();
    const missed = this.history.after(cursor);
    if (!missed || missed.length === 0) {
      if (!missed) {
        // The history moved past the client while it was catching up.
        this.sendReset(connection, cursor);
      }
      this.goLive(connection);
      return;
    }
    const budget = connection.maxQueuedBytes > 0 ? connection.maxQueuedBytes / 2 : Infinity;
    let text = '';
    let count = 0;
    for (const entry of missed) {
      if (count > 0 && text.length + entry.body.length > budget) {
        break;
      }
      text += this.frameOf(entry, connection.eventName);
      count++;
    }
    const next = missed[count - 1].id;
    this.counters.replayed += count;
    if (count === missed.length) {
      connection.write(text);
      this.goLive(connection);
      return;
    }
    connection.write(text, () => this.catchUp(connection, next));
  }

  private sendReset(connection: SseConnection, lastEventId: string): void {
    this.counters.resets++;
    const reason = this.lastId !== undefined && lastEventId.startsWith(`${this.epoch}-`) ? 'history-exceeded' : 'unknown-id';
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
