import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { mcpStreamTemplate, type ResolvedSseModuleOptions } from '../options/module-options.js';
import type { Meters } from '../model/meters.js';
import { LOG_INTERVAL, RateLimitedLog } from '../util/rate-limited-log.js';
import {
  MAX_ENDED_REMEMBERED,
  PRESENCE_JOIN_EVENT,
  PRESENCE_LEAVE_EVENT,
  SSE_LOGGER_CONTEXT,
  SSE_METRICS,
  SSE_MODULE_OPTIONS,
} from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import type { SseTransportPublish } from '../interfaces/sse-transport.interface.js';
import type { Audience } from '../model/audience.js';
import { Channel } from '../channel/channel.js';
import { Multiplexer } from '../channel/multiplexer.js';
import type { ChannelHooks } from '../channel/channel.interfaces.js';
import { ChannelSettingsResolver } from '../channel/channel-settings.js';
import type { ChannelFeed, ChannelLookup, FeedSource } from '../feed/feed.js';
import { EndedChannels } from './ended-channels.js';
import { HistoryBudget } from '../feed/history-budget.js';
import { ControlMessages } from './control-messages.js';
import { IdleWatches } from './idle-watch.js';
import { Presence } from '../presence/presence.js';
import { IdleSweeper } from './idle-sweeper.js';
import { LocalFeeds } from '../feed/local-feeds.js';
import { SharedFeeds, type SharedFeedsHooks } from '../feed/shared-feeds.js';
import { ChannelReach } from './channel-reach.js';

/**
 * The channels of this instance by name: created on first use, kept while
 * they have clients, requests about to join, or history only they hold, and
 * dropped after `historyTtl` idle. Where their events come from is the feed
 * source: this process, or the transport.
 */
@Injectable()
export class ChannelRegistry implements ChannelLookup, OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  /** The bound on the history of all channels together. */
  readonly historyBudget: HistoryBudget;
  /** Who is on each channel (identified streams), with `sse-join` / `sse-leave` where asked for. */
  readonly presence: Presence;
  /** Streams that carry many channels (`@SseChannels()`); `undefined` on a transport that gives no sequence across channels. */
  readonly multiplexer: Multiplexer | undefined;
  private readonly channels = new Map<string, Channel>();
  /** Outside production (NODE_ENV, read once): warns about a publish to a channel no route streams. */
  readonly reach: ChannelReach | undefined;
  /** Messages to and from the other instances (`disconnect()`). */
  readonly control: ControlMessages;
  /** `cancelWhenIdle` watches, by channel. */
  private readonly idleWatches = new IdleWatches(
    (name) => this.channels.get(name)?.clientCount ?? 0,
    (name) => (this.source.listeners ? this.source.listeners(name) : Promise.resolve(0)),
  );
  /** Channels that ended, for a while after they are dropped. */
  private readonly ended: EndedChannels;
  private readonly settings: ChannelSettingsResolver;
  private readonly source: FeedSource;
  private readonly sweeper: IdleSweeper<Channel>;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private readonly readFailures = new RateLimitedLog(LOG_INTERVAL, (message) => this.logger.warn(message));
  /** Rejects when the application shuts down, so that nobody waits for a channel any longer. */
  private readonly stopping: Promise<never>;
  private stop!: (reason: Error) => void;

  constructor(
    @Inject(SSE_MODULE_OPTIONS) readonly options: ResolvedSseModuleOptions,
    /** The OpenTelemetry instruments (`null`: metrics are off). */
    @Optional() @Inject(SSE_METRICS) readonly metrics?: Meters | null,
  ) {
    this.settings = new ChannelSettingsResolver(options);
    this.reach = process.env.NODE_ENV === 'production' ? undefined : new ChannelReach(Object.keys(options.channels), (text) => this.logger.warn(text), [mcpStreamTemplate(options)]);
    this.historyBudget = new HistoryBudget(options.history.totalBytes);
    this.historyBudget.onEmptied = (names) => names.forEach((name) => this.disposeIfIdle(name));
    this.ended = new EndedChannels(options.history.endedTtl, MAX_ENDED_REMEMBERED);
    this.source = options.transport
      ? new SharedFeeds(options.transport, options.history.ttl, this.historyBudget, this.sharedHooks, this.metrics ?? undefined)
      : new LocalFeeds(this, this.historyBudget);
    this.multiplexer = this.source.sequence && new Multiplexer(this.source.sequence, options.events.reset, this.reportReadFailure);
    this.control = new ControlMessages(this.source.sendControl?.bind(this.source));
    this.presence = new Presence(this.source.presenceStore(), this.announcePresence, options.identities.presenceLeaveDelay, (error) =>
      this.logger.warn(messages.presenceFailed(error)),
    );
    this.sweeper = new IdleSweeper(options.history.ttl, () => this.channels.values(), (channel) => this.drop(channel));
    this.stopping = new Promise<never>((_, reject) => (this.stop = reject));
    this.stopping.catch(() => undefined);
  }

  /** Calls `onIdle` once `name` has had no client for `ms`, on any instance (from now if it has none). @returns what stops watching */
  watchIdle(name: string, ms: number, onIdle: () => void): () => void {
    return this.idleWatches.watch(name, ms, onIdle);
  }

  async onModuleInit(): Promise<void> {
    await this.source.init();
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /** Every channel there is, by name. */
  entries(): IterableIterator<[string, Channel]> {
    return this.channels.entries();
  }

  get size(): number {
    return this.channels.size;
  }

  /** The channel of that name, created if needed (a shared one subscribes: see `acquire()`). */
  getOrCreate(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) {
      const settings = this.settings.for(name);
      const created = new Channel(name, settings, (sink) => this.source.create(name, settings, sink), this.hooks, this.metrics?.channel(name), this.multiplexer);
      // A feed that cannot start (a shared one that could not subscribe) takes its channel with it.
      created.feed.ready?.catch(() => this.drop(created));
      this.channels.set(name, created);
      // Until a client joins it, a new channel is idle (e.g. publish-only).
      this.sweeper.watch();
      channel = created;
    }
    return channel;
  }

  /** The end event's id of a channel that has ended (live, or remembered after it was dropped). */
  endIdOf(name: string): string | undefined {
    return this.channels.get(name)?.endId ?? this.ended.endIdOf(name);
  }

  feedOf(name: string): ChannelFeed {
    return this.getOrCreate(name).feed;
  }

  /**
   * The channel, once it can take clients (with a shared feed: once
   * subscribed). It is kept until `release()`: join it, then release it.
   */
  async acquire(name: string): Promise<Channel> {
    this.reach?.joined(name);
    const channel = this.getOrCreate(name);
    channel.waiting++;
    try {
      if (channel.feed.ready) {
        await Promise.race([channel.feed.ready, this.stopping]);
      }
    } catch (error) {
      this.release(channel);
      throw error;
    }
    return channel;
  }

  /** Lets go of a channel from `acquire()` (after the client joined, or when it could not). */
  release(channel: Channel): void {
    channel.waiting--;
    this.disposeIfIdle(channel.name);
  }

  /** Publishes one validated, serialized event; resolves with its id. */
  publish(channel: string, data: string, event: string | undefined, id: string | undefined, audience?: Audience): Promise<string> {
    const { history } = this.settings.for(channel);
    this.metrics?.published(channel, this.channels.get(channel)?.meter, event);
    return this.source.publish({
      channel,
      event,
      data,
      id,
      history,
      historyTtl: this.options.history.ttl,
      endEvent: this.options.events.end,
      audience,
    } satisfies SseTransportPublish);
  }

  /** Drops the channel if it holds nothing worth keeping (no clients, nobody about to join, no history of its own). */
  disposeIfIdle(name: string): void {
    const channel = this.channels.get(name);
    if (channel?.isDisposable) {
      this.drop(channel);
    }
  }

  /** Stops the sweeper and anybody waiting for a channel. */
  beforeApplicationShutdown(): void {
    this.stop(new Error(messages.shuttingDown()));
    this.sweeper.stop();
    this.presence.stop();
  }

  /** Closes the transport once every stream has ended. */
  async onApplicationShutdown(): Promise<void> {
    this.channels.clear();
    await this.source.close();
  }

  private drop(channel: Channel): void {
    if (this.channels.get(channel.name) === channel) {
      this.channels.delete(channel.name);
      channel.dispose();
    }
  }

  private readonly keepOrDrop = (channel: Channel): void => {
    this.idleWatches.idle(channel.name);
    this.disposeIfIdle(channel.name);
    if (this.channels.has(channel.name)) {
      this.sweeper.watch();
    }
  };

  private readonly reportReadFailure = (channel: string, error: unknown): void => {
    this.metrics?.transportError('read');
    this.readFailures.report((count) => messages.historyReadFailed(channel, count, error));
  };

  private readonly announcePresence = (channel: string, identity: string, kind: 'join' | 'leave'): void => {
    if (this.channels.get(channel)?.endId !== undefined) {
      return; // (nothing goes after a channel's end: the leaves of a finished run's clients are not announced)
    }
    const event = kind === 'join' ? PRESENCE_JOIN_EVENT : PRESENCE_LEAVE_EVENT;
    this.publish(channel, JSON.stringify({ identity }), event, undefined).catch((error: unknown) =>
      this.logger.warn(messages.presenceFailed(error)),
    );
  };

  /** What the shared feeds tell the registry. */
  private readonly sharedHooks: SharedFeedsHooks = {
    onReadFailure: this.reportReadFailure,
    onControl: (text) => this.control.receive(text),
    onPresenceSwept: (channel, identity) => this.presence.announceSwept(channel, identity),
    // Streams of many channels reconnect: the channels' resyncs would not come in sequence order.
    onResubscribed: () => this.multiplexer?.restart(),
  };

  /** What every channel tells the registry (one object for all of them). */
  private readonly hooks: ChannelHooks<Channel> = {
    onBusy: (channel) => this.idleWatches.busy(channel.name),
    onIdle: this.keepOrDrop,
    onReadFailure: this.reportReadFailure,
    // (An ended channel is remembered for a while after it is dropped.)
    onEnded: (channel) => this.ended.remember(channel.name, channel.endId!),
  };
}
