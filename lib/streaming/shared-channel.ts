import type { SseTransport, SseTransportEvent } from '../transport/sse-transport.interface.js';
import { encodeDataLines } from '../wire/encoder.js';
import { Channel, type ChannelSettings } from './channel.js';
import type { SseConnection } from './connection.js';
import type { HistoryBudget } from './history-budget.js';
import type { ChannelEvent } from './history.js';

/** Events read from the shared history per round trip. */
const REMOTE_BATCH = 500;
/** Pause before reading again after a failed resync. */
const RESYNC_RETRY_MS = 1000;

/** Reports a read of the shared history that failed. */
export type ReplayFailure = (channel: Channel, error: unknown) => void;

/**
 * A channel whose events come from a shared transport (Redis): they arrive
 * through `receive`, with the transport's ids, in the transport's order, on
 * every instance alike. The history is a local window of the shared one,
 * complete after the id the channel started at; the transport is read for
 * anything older, and for anything the subscription may have missed.
 *
 * The invariant: the channel delivers every event after its `lastId`, once,
 * in id order. Events are held back whenever it cannot tell whether it
 * missed some (before it starts, and from losing the subscription until it
 * has read what it missed), and anything read from the transport that
 * continues its sequence is delivered at once, so no read can leave a gap.
 */
export class SharedChannel extends Channel {
  /** Events that arrived while the channel cannot tell whether it missed some. */
  private held: SseTransportEvent[] | undefined = [];
  private syncRound = 0;
  /** The subscription was lost before the channel started: it reads what it may have missed then. */
  private lostBeforeStart = false;

  constructor(
    name: string,
    settings: ChannelSettings,
    onIdle: (channel: Channel) => void,
    private readonly remote: SseTransport,
    private readonly onReplayFailure: ReplayFailure,
    budget?: HistoryBudget,
  ) {
    super(name, settings, onIdle, budget);
  }

  /** Its history is the transport's: nothing to keep once nobody listens. */
  override get isDisposable(): boolean {
    return this.clientCount === 0 && this.reserved === 0;
  }

  override publish(): string {
    throw new Error('A shared channel gets its events from the transport.');
  }

  /** An event of this channel, published on any instance. */
  receive(event: SseTransportEvent): void {
    if (this.held) {
      this.held.push(event);
    } else {
      this.accept(toEntry(event));
    }
  }

  /**
   * The channel is subscribed and `newestId` was the newest id then; events
   * after it go to the clients that join from now on.
   */
  start(newestId: string | undefined): void {
    this.lastId = newestId ?? '0-0';
    this.history.startAfter(this.lastId);
    if (this.lostBeforeStart) {
      // `newestId` may have been read before events the lost subscription missed.
      this.lostBeforeStart = false;
      void this.resync();
    } else {
      this.release();
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
    if (this.lastId === undefined) {
      return;
    }
    this.held ??= [];
    const round = ++this.syncRound;
    try {
      for (;;) {
        const from = this.lastId;
        const { events } = await this.remote.read(this.name, from, REMOTE_BATCH);
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
        this.onReplayFailure(this, error);
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

  /** Delivers an event unless this channel has delivered it (or a later one) already. */
  private accept(entry: ChannelEvent): void {
    if (this.lastId === undefined || this.remote.compareIds(entry.id, this.lastId) > 0) {
      this.append(entry);
    }
  }

  /**
   * Delivers events read from the shared history after `from`. When `from`
   * is not past the last delivered event, they continue the channel's
   * sequence without a gap, and the new ones go live at once.
   */
  private acceptAll(events: readonly SseTransportEvent[], from: string): ChannelEvent[] {
    const contiguous = this.remote.compareIds(from, this.lastId!) <= 0;
    const entries = events.map(toEntry);
    if (contiguous) {
      for (const entry of entries) {
        this.accept(entry);
      }
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

  /**
   * Replays what the client missed after `cursor` — from the local window
   * when it has all of it, else from the shared history — then goes live.
   */
  private catchUpShared(connection: SseConnection, cursor: string, original: string): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    this.flush();
    const compare = (a: string, b: string) => this.remote.compareIds(a, b);
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
    const remote = this.remote;
    const from = remote.compareIds(cursor, this.lastId!) > 0 ? this.lastId! : cursor;
    let result;
    try {
      result = await remote.read(this.name, from, REMOTE_BATCH);
    } catch (error) {
      if (this.isCatchingUp(connection)) {
        this.onReplayFailure(this, error);
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

  /** Resumes a client from its `Last-Event-ID`: an id of the transport, or the reset event. */
  protected override catchUp(connection: SseConnection, lastEventId: string): void {
    const cursor = this.remote.parseId(lastEventId);
    if (cursor === undefined) {
      this.sendReset(connection, lastEventId, 'unknown-id');
      this.goLive(connection);
      return;
    }
    this.catchUpShared(connection, cursor, lastEventId);
  }
}

function toEntry(event: SseTransportEvent): ChannelEvent {
  return { id: event.id, event: event.event, body: `id: ${event.id}\n${encodeDataLines(event.data)}\n` };
}
