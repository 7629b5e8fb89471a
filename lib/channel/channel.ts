import { isThenable } from '../util/is-thenable.js';
import { encodeFrame, withEventName } from '../wire/encoder.js';
import type { ChannelCounter } from '../model/meters.js';
import type { CloseReason } from '../model/close-reason.js';
import { FROM_START, type ChannelFeed, type Cursor, type FeedSink, type Missed } from '../feed/feed.js';
import type { ResetReason } from '../model/reset-reason.js';
import type { ChannelEvent } from '../feed/history.js';
import { TurnBatcher } from '../util/turn-batcher.js';
import { LiveClients } from './live-clients.js';
import { replaySlice } from './replay-slice.js';
import type { ChannelEvents, ChannelHooks, ChannelMember, ChannelMux, ChannelStats } from './channel.interfaces.js';

/**
 * One named channel on this instance: its clients, grouped by their route's
 * event name, and the clients still catching up; its events, ids and history
 * come from its {@link ChannelFeed} (streams of many channels: the `Multiplexer`).
 * Events are encoded once, and a turn's events written to each group in one
 * write; a client that resumes gets what it missed at the pace it reads, then
 * goes live with no gap and no duplicate.
 */
export class Channel implements FeedSink {
  readonly feed: ChannelFeed;
  /** Requests waiting to join (the channel is kept while there are any). */
  waiting = 0;
  /** Since when (ms since the epoch) the channel has had no clients. */
  idleSince = Date.now();
  /** Live clients, grouped by the event name of their route. */
  private readonly live = new LiveClients();
  /** Clients that joined but are not live yet (being replayed to); they move to their group once caught up. */
  private readonly catchingUp = new Set<ChannelMember>();
  private clients = 0;
  private readonly counters = { published: 0, droppedSlow: 0, replayed: 0, resets: 0 };
  /** The end event, once the channel has ended (set once, by the feed's events). */
  endEvent: ChannelEvent | undefined = undefined;
  /** This turn's events for the live clients (made when the first client joins). */
  private batch: TurnBatcher<ChannelEvent> | undefined;

  constructor(
    readonly name: string,
    private readonly events: ChannelEvents,
    feed: (sink: FeedSink) => ChannelFeed,
    private readonly hooks: ChannelHooks<Channel>,
    readonly meter?: ChannelCounter, // (undefined: metrics are off)
    private readonly mux?: ChannelMux<Channel>, // (streams that carry many channels: @SseChannels())
  ) {
    this.feed = feed(this);
  }

  get clientCount(): number {
    return this.clients;
  }

  /** A snapshot of what the channel has done. */
  get stats(): ChannelStats {
    return { clients: this.clients, ...this.counters };
  }

  /** The id of the end event, once the channel has ended. */
  get endId(): string | undefined {
    return this.endEvent?.id;
  }

  /** Whether the channel holds nothing worth keeping: no clients, nobody about to join, no history only it has. */
  get isDisposable(): boolean {
    return this.clients === 0 && this.waiting === 0 && !this.feed.keepsHistory;
  }

  /** A new event from the feed: to the live clients, in this turn's write. */
  append(entry: ChannelEvent): void {
    this.counters.published++;
    this.seed(entry);
    if (!this.live.isEmpty) {
      this.batch!.add(entry);
      this.meter?.queued();
    }
    this.mux?.appended(this, entry);
  }

  /** The feed lost events its live clients did not get (a shared history trimmed while its subscription was down): each gets the reset, then goes on. */
  gap(reason: ResetReason): void {
    this.batch?.flush();
    this.live.all().forEach((connection) => this.sendReset(connection, this.feed.lastId ?? '', reason));
  }

  /** Notes the channel's end (also for an end it did not publish, e.g. read when subscribing). */
  seed(entry: ChannelEvent): void {
    if (entry.event === this.events.endEvent && this.endEvent === undefined) {
      this.endEvent = entry;
      this.hooks.onEnded(this);
    }
  }

  /**
   * Adds a client. With `lastEventId` it first gets every event after that id
   * (or the reset event when the id cannot be resumed) — with {@link FROM_START}
   * every event the channel still has — then live events.
   */
  join(connection: ChannelMember, lastEventId?: Cursor): void {
    // Events published earlier in this turn go to the clients that were there.
    this.batch ??= new TurnBatcher((events) => this.live.deliver(events, this.meter, this.endEvent));
    this.batch.flush();
    this.enter();
    // A member from here on, live only once it has what it missed.
    this.catchingUp.add(connection);
    if (lastEventId === undefined || lastEventId === '' || lastEventId === this.feed.lastId) {
      this.goLive(connection, lastEventId);
    } else {
      this.catchUp(connection, lastEventId);
    }
  }

  /** Removes a client whose stream ended. */
  leave(connection: ChannelMember, reason: CloseReason): void {
    if (this.live.delete(connection) || this.catchingUp.delete(connection)) {
      this.exit(reason);
    }
  }

  /** Counts a member in: a client of its own, or a stream that carries many channels. */
  enter(): void {
    if (this.clients++ === 0) {
      this.feed.setActive(true);
      this.hooks.onBusy(this);
    }
    this.idleSince = Infinity;
  }

  /** Counts a member out. */
  exit(reason: CloseReason): void {
    if (reason === 'slow') this.counters.droppedSlow++;
    if (--this.clients === 0) {
      this.batch?.clear();
      this.meter?.dropped();
      this.feed.setActive(false);
      this.idleSince = Date.now();
      this.hooks.onIdle(this);
    }
  }

  /** Ends every client's stream of this channel. */
  close(): void {
    this.batch?.flush();
    for (const connection of [...this.catchingUp, ...this.live.all()]) {
      connection.end(undefined, 'server');
    }
    this.mux?.closed(this);
  }

  /** The channel is dropped. */
  dispose(): void {
    this.feed.dispose();
  }

  /** Sends a catching-up client what it missed after `lastEventId`, then lets it go live. */
  private catchUp(connection: ChannelMember, lastEventId: Cursor): void {
    if (!this.isCatchingUp(connection)) return;
    this.batch?.flush();
    const missed = this.feed.missed(lastEventId);
    if (!isThenable<Missed>(missed)) {
      this.resume(connection, lastEventId, missed);
      return;
    }
    missed.then(
      (result) => this.resume(connection, lastEventId, result),
      (error: unknown) => {
        if (this.isCatchingUp(connection)) {
          this.hooks.onReadFailure(this.name, error);
          // The client reconnects with its Last-Event-ID and tries again.
          connection.end(undefined, 'error');
        }
      },
    );
  }

  private resume(connection: ChannelMember, lastEventId: Cursor, missed: Missed): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    if (missed.reset) {
      this.sendReset(connection, lastEventId === FROM_START ? '' : lastEventId, missed.reset);
    }
    if (missed.events.length === 0) {
      this.goLive(connection, lastEventId);
    } else {
      this.replay(connection, missed.events, 0);
    }
  }

  /**
   * Writes `events` from `start` at the pace the client reads them: a slice
   * of at most half its queue bound (an event bigger than that goes alone),
   * the next once that one has been flushed to the socket. After the last
   * slice it looks, in the same turn, for what came meanwhile, so that the
   * client goes live without a gap.
   */
  private replay(connection: ChannelMember, events: readonly ChannelEvent[], start: number): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    const budget = connection.maxQueuedBytes > 0 ? connection.maxQueuedBytes / 2 : Infinity;
    const { text, frames, end, finished } = replaySlice(events, start, budget, this.events.endEvent, connection);
    this.counters.replayed += frames;
    this.meter?.replayed(frames);
    if (finished) {
      // The end event: nothing comes after it. (It leaves as its response closes.)
      connection.write(text);
      connection.end(undefined, 'ended');
    } else if (end === events.length) {
      if (text !== '') {
        connection.write(text);
      }
      this.catchUp(connection, events[end - 1].id);
    } else {
      connection.write(text, () => this.replay(connection, events, end));
    }
  }

  private sendReset(connection: ChannelMember, lastEventId: string, reason: ResetReason): void {
    this.counters.resets++;
    this.meter?.reset(reason);
    connection.write(encodeFrame({ event: this.events.resetEvent, id: this.feed.lastId, data: JSON.stringify({ reason, lastEventId, channel: this.name }) }));
  }

  /**
   * Moves a client that has all it missed into its live group (unless it is
   * gone). On an ended channel it gets the end event instead (unless the end
   * is what it saw last), then the end of its response.
   */
  private goLive(connection: ChannelMember, lastSeen?: Cursor): void {
    if (!this.isCatchingUp(connection)) {
      return;
    }
    if (this.endEvent) {
      if (lastSeen !== this.endEvent.id) {
        connection.write(withEventName(this.endEvent.event!, this.endEvent.body));
      }
      // (A member until its response closes: leave() then counts it out.)
      connection.end(undefined, 'ended');
      return;
    }
    this.catchingUp.delete(connection);
    this.live.add(connection);
  }

  private isCatchingUp(connection: ChannelMember): boolean {
    return !connection.closed && this.catchingUp.has(connection);
  }
}
