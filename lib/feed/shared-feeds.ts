import type { Meters } from '../model/meters.js';
import * as messages from '../sse.messages.js';
import {
  SseTransportError,
  type SseTransport,
  type SseTransportEvent,
  type SseTransportHost,
  type SseTransportPublish,
} from '../interfaces/sse-transport.interface.js';
import { SseEncodingError } from '../wire/encoder.js';
import type { ChannelSettings, FeedSink, FeedSource, SequenceView } from './feed.js';
import type { HistoryBudget } from './history-budget.js';
import { LocalPresenceStore, type PresenceStore } from '../presence/presence.js';
import { SharedFeed, type ReadFailure } from './shared-feed.js';

/**
 * Channels shared by every instance through a transport (Redis): a publish
 * goes to the transport, which gives the id and brings the event back to the
 * instances subscribed to the channel — those with clients on it. This is the
 * transport's host.
 */
/** What the shared feeds tell their owner (the registry). */
export interface SharedFeedsHooks {
  readonly onReadFailure: ReadFailure;
  /** A control message from an instance. */
  readonly onControl: (message: string) => void;
  /** An identity of an instance that died left `channel`. */
  readonly onPresenceSwept: (channel: string, identity: string) => void;
  /** The lost subscriptions are back (before the channels read what they missed). */
  readonly onResubscribed: () => void;
}

export class SharedFeeds implements FeedSource, SseTransportHost {
  /** The subscribed channels' feeds, by name. */
  private readonly feeds = new Map<string, SharedFeed>();
  /** The sequence across channels, as far as this instance has received it (a transport that gives none: `undefined`). */
  readonly sequence: ReceivedSequence | undefined;
  /**
   * What was sent before the transport started — a publish from a provider's
   * constructor or `onModuleInit()` — sent in order once it has; `undefined`
   * from then on.
   */
  private early: { send: () => void; fail: (error: Error) => void }[] | undefined = [];

  constructor(
    private readonly transport: SseTransport,
    /** Milliseconds a channel without clients on any instance keeps its history (`history.ttl`), for the transport. */
    readonly historyTtl: number,
    private readonly budget: HistoryBudget,
    private readonly hooks: SharedFeedsHooks,
    /** Counts what the transport could not do (`undefined`: metrics are off). */
    private readonly metrics?: Meters,
  ) {
    this.sequence = transport.readSince ? new ReceivedSequence() : undefined;
  }

  presenceStore(): PresenceStore {
    const transport = this.transport;
    if (!transport.presenceJoin || !transport.presenceLeave || !transport.presenceGone || !transport.presenceList) {
      return new LocalPresenceStore(); // (a transport without presence: this instance's streams only)
    }
    return {
      join: (channel, identity) => transport.presenceJoin!(channel, identity),
      leave: (channel, identity) => transport.presenceLeave!(channel, identity),
      gone: (channel, identity) => transport.presenceGone!(channel, identity),
      list: (channel) => transport.presenceList!(channel),
    };
  }

  presenceSwept(channel: string, identity: string): void {
    this.hooks.onPresenceSwept(channel, identity);
  }

  async init(): Promise<void> {
    try {
      await this.transport.init(this);
    } catch (error) {
      this.flushEarly(error as Error);
      throw error;
    }
    this.flushEarly();
  }

  /** Sends what waited for the start (or fails it: the start failed, or the application closed first). */
  private flushEarly(error?: Error): void {
    const early = this.early ?? [];
    this.early = undefined;
    early.forEach((waiting) => (error ? waiting.fail(error) : waiting.send()));
  }

  /** `send()` now, or once the transport has started. */
  private whenStarted<T>(send: () => Promise<T>): Promise<T> {
    if (this.early === undefined) {
      // (Bad input still throws at once; a transport that cannot send — e.g. closed — rejects, so that a caller in a timer, such as the presence batch, catches it.)
      try {
        return send();
      } catch (error) {
        if (error instanceof SseEncodingError) throw error;
        return Promise.reject(error as Error);
      }
    }
    const early = this.early;
    return new Promise<T>((resolve, reject) => {
      const sendNow = () => {
        try {
          send().then(resolve, reject);
        } catch (error) {
          reject(error as Error);
        }
      };
      early.push({ send: sendNow, fail: reject });
    });
  }

  create(name: string, settings: ChannelSettings, sink: FeedSink): SharedFeed {
    const feed = new SharedFeed(name, settings, sink, this.transport, this.budget, this.hooks.onReadFailure, (disposed) => {
      if (this.feeds.get(name) === disposed) {
        this.feeds.delete(name);
      }
    });
    this.feeds.set(name, feed);
    const { metrics } = this;
    if (metrics) {
      feed.ready.catch(() => metrics.transportError('subscribe'));
    }
    return feed;
  }

  publish(request: SseTransportPublish): Promise<string> {
    const { channel, id } = request;
    const known = this.feeds.get(channel)?.lastId;
    if (id !== undefined && (known !== undefined || this.early !== undefined)) {
      // What the transport would refuse anyway, refused at once when this instance can tell.
      const { transport } = this;
      const canonical = transport.callerId ? transport.callerId(id, channel) : transport.parseId(id, channel);
      if (canonical === undefined && this.early !== undefined) {
        throw new SseEncodingError(messages.idRefusedByTransport(id, channel)); // (once started, the transport says why)
      }
      if (canonical !== undefined && known !== undefined && this.transport.compareIds(canonical, known) <= 0) {
        throw new SseEncodingError(messages.idNotIncreasing(id, channel));
      }
    }
    const published = this.whenStarted(() => this.transport.publish(request));
    const { metrics } = this;
    return metrics
      ? published.catch((error: unknown) => {
          if (error instanceof SseTransportError) {
            metrics.transportError('publish');
          }
          throw error;
        })
      : published;
  }

  connectionError(): void {
    this.metrics?.transportError('connection');
  }

  sendControl(message: string): Promise<void> {
    const { transport } = this;
    return transport.sendControl ? this.whenStarted(() => transport.sendControl!(message)) : Promise.resolve();
  }

  control(message: string): void {
    this.hooks.onControl(message);
  }

  listeners(channel: string): Promise<number> {
    return this.transport.countSubscribers ? this.transport.countSubscribers(channel) : Promise.resolve(0);
  }

  deliver(channel: string, event: SseTransportEvent): void {
    this.sequence?.received(event);
    this.feeds.get(channel)?.receive(event);
  }

  suspend(channels?: readonly string[]): void {
    for (const feed of this.feedsOf(channels)) {
      feed.suspend();
    }
  }

  resume(channels?: readonly string[]): void {
    this.hooks.onResubscribed();
    for (const feed of this.feedsOf(channels)) {
      void feed.resync();
    }
  }

  /** The feeds of `channels` there are, or every feed. */
  private feedsOf(channels: readonly string[] | undefined): Iterable<SharedFeed> {
    return channels ? channels.flatMap((channel) => this.feeds.get(channel) ?? []) : this.feeds.values();
  }

  close(): Promise<void> | void {
    this.flushEarly(new SseTransportError(messages.publishedBeforeStartDropped()));
    this.feeds.clear();
    return this.transport.close();
  }
}

/**
 * The newest position of the shared sequence this instance has received. The
 * transport delivers every event of the channels it subscribed to in publish
 * order, so once it has delivered position n, no event at or below n is on its
 * way.
 */
class ReceivedSequence implements SequenceView {
  private epoch: string | undefined;
  private newest = 0;

  received({ seq, epoch }: SseTransportEvent): void {
    if (seq !== undefined && epoch !== undefined) {
      if (epoch !== this.epoch) {
        this.epoch = epoch;
        this.newest = seq;
      } else if (seq > this.newest) {
        this.newest = seq;
      }
    }
  }

  seen(epoch: string): number {
    return epoch === this.epoch ? this.newest : 0;
  }
}
