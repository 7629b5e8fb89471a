import type { SseTransportPublish } from '../transport/sse-transport.interface.js';
import type { ChannelLookup, ChannelSettings, FeedSink, FeedSource } from './feed.js';
import type { HistoryBudget } from './history-budget.js';
import { LocalFeed } from './local-feed.js';
import { LocalPresenceStore, type PresenceStore } from './presence.js';

/**
 * Channels in this process (the default): a publish goes straight to the
 * channel's feed, which gives it its id; nothing leaves the process.
 */
export class LocalFeeds implements FeedSource {
  /** The feeds of the channels there are, by name (each made here). */
  private readonly feeds = new Map<string, LocalFeed>();

  constructor(
    private readonly channels: ChannelLookup,
    private readonly budget: HistoryBudget,
  ) {}

  init(): void {}

  presenceStore(): PresenceStore {
    return new LocalPresenceStore();
  }

  create(name: string, settings: ChannelSettings, sink: FeedSink): LocalFeed {
    const feed = new LocalFeed(settings, this.budget, sink, (disposed) => {
      if (this.feeds.get(name) === disposed) {
        this.feeds.delete(name);
      }
    });
    this.feeds.set(name, feed);
    return feed;
  }

  publish({ channel, data, event, id, audience }: SseTransportPublish): Promise<string> {
    this.channels.feedOf(channel);
    const eventId = this.feeds.get(channel)!.publish(data, event, id, audience);
    // A channel without clients and without history (history 0) holds nothing.
    this.channels.disposeIfIdle(channel);
    return Promise.resolve(eventId);
  }

  close(): void {
    this.feeds.clear();
  }
}
