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
  /** Clients grouped by the event name of their route ('' for none). */
  private readonly groups = new Map<string, Set<SseConnection>>();
  private readonly history: EventHistory;
  private pending: ChannelEvent[] = [];
  private flushQueued = false;
  private clients = 0;
  private seq = 0;
  private lastId: string | undefined;
  /** Tells this channel's ids from those of an earlier one of the same name (e.g. before a restart). */
  private readonly epoch = Date.now().toString(36);
  readonly stats: ChannelStats = { clients: 0, published: 0, droppedSlow: 0, replayed: 0, resets: 0 };

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
    this.stats.published++;
    this.history.add(entry);
    if (this.clients > 0) {
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
    if (lastEventId !== undefined && lastEventId !== '') {
      this.resume(connection, lastEventId);
    }
    let group = this.groups.get(connection.eventName);
    if (!group) {
      group = new Set();
      this.groups.set(connection.eventName, group);
    }
    group.add(connection);
    this.clients++;
    this.stats.clients = this.clients;
  }

  /** Removes a client whose stream ended. */
  leave(connection: SseConnection, reason: CloseReason): void {
    const group = this.groups.get(connection.eventName);
    if (!group?.delete(connection)) {
      return;
    }
    if (reason === 'slow') {
      this.stats.droppedSlow++;
    }
    if (group.size === 0) {
      this.groups.delete(connection.eventName);
    }
    this.clients--;
    this.stats.clients = this.clients;
    if (this.clients === 0) {
      this.pending = [];
      this.onIdle(this);
    }
  }

  /** Ends every client's stream of this channel. */
  close(): void {
    this.flush();
    for (const group of this.groups.values()) {
      for (const connection of group) {
        connection.end();
      }
    }
  }

  private resume(connection: SseConnection, lastEventId: string): void {
    if (lastEventId === this.lastId) {
      return;
    }
    const missed = this.history.after(lastEventId);
    if (missed) {
      if (missed.length > 0) {
        connection.write(this.frames(missed, connection.eventName));
        this.stats.replayed += missed.length;
      }
      return;
    }
    this.stats.resets++;
    const reason = this.lastId === undefined ? 'unknown-id' : this.isOwnId(lastEventId) ? 'history-exceeded' : 'unknown-id';
    connection.write(
      encodeFrame({
        event: this.settings.resetEvent,
        id: this.lastId,
        data: JSON.stringify({ reason, lastEventId, channel: this.name }),
      }),
    );
  }

  private isOwnId(id: string): boolean {
    return id.startsWith(`${this.epoch}-`);
  }

  private frames(events: ChannelEvent[], groupEvent: string): string {
    let text = '';
    for (const entry of events) {
      const event = entry.event ?? groupEvent;
      text += event === '' ? entry.body : `event: ${event}\n${entry.body}`;
    }
    return text;
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.pending.length === 0) {
      return;
    }
    const events = this.pending;
    this.pending = [];
    for (const [eventName, group] of this.groups) {
      const bytes = Buffer.from(this.frames(events, eventName), 'utf8');
      for (const connection of group) {
        connection.write(bytes);
      }
    }
  };
}
