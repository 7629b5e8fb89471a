import type { Logger } from '@nestjs/common';
import type { SseTransportHost } from '../../interfaces/sse-transport.interface.js';
import { unsubscribeAll, type HistoryExpiry } from './history-expiry.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';
import { handOver } from './event-message.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * Resolves once the client is past its connection handshake ('connect'):
 * ioredis v5 sends its CLIENT SETINFO then, and a SUBSCRIBE written before it
 * would put the connection in subscriber mode first — the SETINFO reply is an
 * error there, and ioredis v5 drops the connection.
 */
function connected(client: RedisClientLike): Promise<void> {
  if (client.status !== 'connect') {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      client.removeListener('ready', done);
      client.removeListener('close', done);
      resolve();
    };
    client.on('ready', done);
    client.on('close', done);
  });
}

/**
 * The transport's subscription connection: the channels this instance has
 * clients on, each event handed to the host as it arrives, and the host told
 * when the connection is lost (events may be missed) and back (resubscribed:
 * every channel reads what it missed). Each subscription and unsubscription,
 * once Redis has confirmed it, goes to `expiry`, which renews the Streams of
 * the channels subscribed to (they do not run out while this instance has
 * clients on them).
 */
export class RedisSubscriptions {
  /** Channels this instance is subscribed to. */
  readonly channels = new Set<string>();
  /** The Pub/Sub topic of control messages (a NUL in it: no channel name has one). */
  readonly controlTopic: string;
  /** Whether the connection was lost and not resubscribed yet. */
  private lost = false;
  private wasReady = false;

  constructor(
    private readonly subscriber: RedisClientLike,
    private readonly keys: RedisKeys,
    private readonly host: SseTransportHost,
    private readonly logger: Logger,
    private readonly expiry?: HistoryExpiry,
  ) {
    subscriber.on('message', this.onMessage);
    subscriber.on('ready', this.onReady);
    subscriber.on('close', this.onClose);
    this.controlTopic = keys.control;
    expiry?.start(this.channels);
    void connected(subscriber)
      .then(() => subscriber.subscribe(this.controlTopic))
      .catch(() => undefined); // (the next 'ready' subscribes again)
  }

  /**
   * The connection's state: ioredis's status (`ready` once connected and
   * subscribed), or `resubscribing` while it is back but its channels are not
   * subscribed again yet.
   */
  get state(): string {
    const { status } = this.subscriber;
    return status === 'ready' && this.lost ? 'resubscribing' : status;
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    await connected(this.subscriber);
    if (!this.channels.has(channel)) {
      return; // (unsubscribed meanwhile: nothing was sent)
    }
    await this.subscriber.subscribe(this.keys.stream(channel));
    if (this.channels.has(channel)) {
      this.expiry?.watched([channel]);
    }
  }

  unsubscribe(channel: string): void {
    if (!this.channels.delete(channel)) {
      return;
    }
    // (Without a connection, Redis has dropped its subscriptions already.)
    const unsubscribed = this.subscriber.status === 'ready' ? this.subscriber.unsubscribe(this.keys.stream(channel)) : Promise.resolve();
    unsubscribed.catch(() => undefined);
    this.expiry?.unwatched(channel, unsubscribed);
  }

  /** Unsubscribes from every channel and waits, at most `ms`, for Redis to have heard of it (and of earlier ones). */
  unsubscribeAll(ms: number): Promise<void> {
    return unsubscribeAll(this, this.expiry, ms);
  }

  close(): void {
    this.expiry?.stop();
    this.channels.clear();
    this.subscriber.removeListener('message', this.onMessage);
    this.subscriber.removeListener('ready', this.onReady);
    this.subscriber.removeListener('close', this.onClose);
    this.subscriber.disconnect();
  }

  /** An event: `<id>\n<event name>\n<audience>\n<seq> <epoch>\n<data>` on the channel's Pub/Sub topic (its Stream's key), or a control message. */
  private readonly onMessage = (topic: string, message: string): void => handOver(this.host, this.keys, topic, message);

  private readonly onClose = (): void => {
    // Also before the first 'ready': a subscription may have been confirmed already.
    if ((this.wasReady || this.channels.size > 0) && !this.lost) {
      this.lost = true;
      this.logger.warn(
        `Lost the Redis subscription connection: ${this.channels.size} channel(s) wait for it to come back. Clients stay connected.`,
      );
      this.host.suspend();
    }
  };

  private readonly onReady = (): void => {
    this.wasReady = true;
    if (!this.lost) {
      return;
    }
    const topics = [this.controlTopic, ...[...this.channels].map((channel) => this.keys.stream(channel))];
    this.subscriber.subscribe(...topics).then(
      () => {
        if (!this.lost) {
          return;
        }
        this.lost = false;
        this.logger.log(`Redis is back: resubscribed to ${topics.length} channel(s); reading what they missed.`);
        this.expiry?.watched(this.channels);
        this.host.resume();
      },
      // The connection dropped again; the next 'ready' tries again.
      () => undefined,
    );
  };
}
