import * as messages from '../sse.messages.js';
import type { SseTransportPublish } from '../interfaces/sse-transport.interface.js';
import { SseEncodingError } from '../wire/encoder.js';
import type { ChannelLookup, ChannelSettings, FeedSink, FeedSource } from './feed.js';
import type { HistoryBudget } from './history-budget.js';
import { LocalFeed } from './local-feed.js';
import { StreamSequence } from './sequence.js';
import { LocalPresenceStore, type PresenceStore } from '../presence/presence.js';

/**
 * Channels in this process (the default): a publish goes straight to the
 * channel's feed, which gives it its id; nothing leaves the process.
 */
export class LocalFeeds implements FeedSource {
  constructor(
    private readonly channels: ChannelLookup,
    private readonly budget: HistoryBudget,
    /** The sequence across this process's channels: every event of every feed made here gets its next position. */
    readonly sequence = new StreamSequence(),
  ) {}

  init(): void {}

  presenceStore(): PresenceStore {
    return new LocalPresenceStore();
  }

  create(name: string, settings: ChannelSettings, sink: FeedSink): LocalFeed {
    return new LocalFeed(settings, this.budget, sink, this.sequence, name);
  }

  publish({ channel, data, event, id, audience }: SseTransportPublish): Promise<string> {
    // (Every feed of the registry's channels is made by create() above.)
    const eventId = (this.channels.feedOf(channel) as LocalFeed).publish(data, event, id, audience);
    if (eventId === undefined) {
      // (Refused as the Redis transport refuses it.)
      return Promise.reject(new SseEncodingError(messages.channelEnded(channel)));
    }
    // A channel without clients and without history (history 0) holds nothing.
    this.channels.disposeIfIdle(channel);
    return Promise.resolve(eventId);
  }

  close(): void {}
}
