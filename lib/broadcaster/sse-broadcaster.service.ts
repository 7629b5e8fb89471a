import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import type { SseMessage } from '../interfaces/sse-message.interface.js';
import { ChannelRegistry } from '../registry/channel-registry.js';
import type { Audience } from '../model/audience.js';
import { ConnectionTracker } from '../tracker/connection-tracker.js';
import type { ChannelStats } from '../channel/channel.interfaces.js';
import { SSE_LOGGER_CONTEXT } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { SseEncodingError, serializeData } from '../wire/encoder.js';
import { resolvePublishOptions } from '../options/broadcaster-options.js';
import { SseChannelHandle } from './sse-channel-handle.js';
import type { SsePublishOptions } from '../interfaces/sse-publish-options.interface.js';
import type { SseTotals } from './sse-totals.interface.js';
import { ChannelSources } from './channel-sources.js';
import { MultiplexedStreams } from '../session/multiplexed-streams.js';
import type { SseConnectOptions } from '../interfaces/sse-connect-options.interface.js';
import { isChannelName } from '../model/channel-template.js';

/**
 * Publishes events to channels. Inject it anywhere; every client on a route
 * that streams the channel gets each event, with the same id everywhere.
 *
 * @publicApi
 */
@Injectable()
export class SseBroadcaster implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private readonly sources: ChannelSources;
  private readonly multiplexed: MultiplexedStreams;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly tracker: ConnectionTracker,
  ) {
    this.multiplexed = new MultiplexedStreams(registry, tracker);
    this.sources = new ChannelSources(registry, {
      publish: (channel, data, options) => this.publish(channel, data, options),
      endChannel: (channel, reason) => this.endChannel(channel, reason),
    });
    registry.control.onMessage((message) => {
      const { type, identity, channel } = message;
      if (typeof identity !== 'string') {
        return;
      }
      if (type === 'disconnect') {
        this.tracker.disconnect(identity);
      } else if ((type === 'subscribe' || type === 'unsubscribe') && typeof channel === 'string' && isChannelName(channel)) {
        // (Another instance checked its own streams; a stream here at its maxChannels keeps what it has, said in the log.)
        this.multiplexed[type](identity, channel).catch((error: unknown) => this.logger.warn(messages.remoteSubscribeFailed(identity, channel, error)));
      }
    });
  }

  /**
   * Ends every stream of `identity` — each gets the `events.accessEnd` event with
   * `{"reason":"revoked"}` first (e.g. on logout) — on every instance when the
   * transport is shared. Its clients' reconnects go through the guards again.
   *
   * @returns how many streams this instance ended
   */
  async disconnect(identity: string): Promise<number> {
    assertIdentity(identity);
    const ended = this.tracker.disconnect(identity);
    await this.registry.control.send({ type: 'disconnect', identity });
    return ended;
  }

  /**
   * Adds `channel` to every open `@SseChannels()` stream of `identity`, live
   * from now on — on every instance when the transport is shared. Rejects,
   * changing nothing here, when a stream of this instance is at its
   * `maxChannels`; another instance's stream at its limit keeps what it has
   * (that instance logs a warning).
   */
  async subscribe(identity: string, channel: string): Promise<void> {
    assertChannelName(channel);
    await this.multiplexed.subscribe(assertIdentity(identity), channel);
    await this.registry.control.send({ type: 'subscribe', identity, channel });
  }

  /** Removes `channel` from every open `@SseChannels()` stream of `identity` (on every instance); the streams go on. */
  async unsubscribe(identity: string, channel: string): Promise<void> {
    assertChannelName(channel);
    await this.multiplexed.unsubscribe(assertIdentity(identity), channel);
    await this.registry.control.send({ type: 'unsubscribe', identity, channel });
  }

  /**
   * Sends one event to every client of `channel`, on every route that streams
   * it (with a shared transport: on every instance).
   *
   * Invalid input throws an `SseEncodingError` naming the field at once,
   * before anything is sent. The returned promise resolves with the id the
   * event got; it rejects with an `SseTransportError` only when the transport
   * cannot take the event (e.g. Redis is unreachable) — never with the
   * in-memory transport, where the event has reached the channel's clients'
   * queues by the time `publish` returns.
   *
   * Called before the application has started (in a constructor or
   * `onModuleInit()`), the event is sent once the transport is up. Outside
   * production, a publish to a channel no route can stream is warned about
   * once per channel.
   *
   * @returns the id the event got
   */
  publish(channel: string, data: unknown, options?: SsePublishOptions): Promise<string> {
    assertChannelName(channel);
    const { event, id, to, except } = resolvePublishOptions(options) ?? {};
    const audience: Audience | undefined = to === undefined && except === undefined ? undefined : { to: list(to), except: list(except) };
    if (event === this.registry.options.events.end) {
      throw new SseEncodingError(messages.reservedEndEvent(event));
    }
    if (this.registry.get(channel)?.endId !== undefined) {
      throw new SseEncodingError(messages.channelEnded(channel));
    }
    const transform = this.registry.options.transform;
    const text = serializeData(transform ? transform(data) : data, 'data');
    this.registry.reach?.published(channel);
    return this.registry.publish(channel, text, event, id, audience);
  }

  /**
   * Turns an Observable into `channel`'s events — each value plain data or an
   * {@link SseMessage} with `data` (and optional `event`, `id`) — until the
   * subscription is unsubscribed, the channel ends, or the application shuts
   * down. A value that cannot be sent is logged and skipped; an error of the
   * source is logged and ends the subscription. With `{ end: true }` the
   * source is a run: its completion (or error) ends the channel; with
   * `{ cancelWhenIdle: ms }` it stops when nobody has listened for that long.
   */
  connect<T>(channel: string, source$: Observable<T | SseMessage<T>>, options?: SseConnectOptions): Subscription {
    assertChannelName(channel);
    return this.sources.connect(channel, source$, options);
  }

  /**
   * Ends `channel`: every client gets what was published, then the
   * `events.end` event (data `{"channel": …, "reason": "ended"}`), then the end of
   * its response; a client back with the end event's id gets `204 No
   * Content`. A source `connect()`ed to it stops. The channel takes no more
   * events until it is dropped. On Redis it ends on every instance.
   *
   * @returns the end event's id (the existing one if it had ended already)
   */
  end(channel: string): Promise<string | undefined> {
    assertChannelName(channel);
    return this.endChannel(channel, 'ended');
  }

  private endChannel(channel: string, reason: 'complete' | 'error' | 'ended'): Promise<string | undefined> {
    this.sources.stop(channel);
    const ended = this.registry.get(channel)?.endId;
    if (ended !== undefined) {
      return Promise.resolve(ended);
    }
    const data = JSON.stringify({ channel, reason });
    return this.registry.publish(channel, data, this.registry.options.events.end, undefined).catch((error: unknown) => {
      if (error instanceof SseEncodingError) {
        return this.registry.endIdOf(channel); // ended meanwhile (on another instance)
      }
      throw error;
    });
  }

  /**
   * The distinct identities with at least one open stream on `channel` —
   * across every instance on Redis.
   */
  identities(channel: string): Promise<string[]> {
    assertChannelName(channel);
    return this.registry.presence.list(channel);
  }

  /** A handle bound to one channel. */
  channel(name: string): SseChannelHandle {
    assertChannelName(name);
    return new SseChannelHandle(name, this);
  }

  /** Number of clients connected to `channel` (on this instance). */
  clientCount(channel: string): number {
    return this.registry.get(channel)?.clientCount ?? 0;
  }

  /** Ends every client's stream of `channel`; clients may reconnect. */
  close(channel: string): void {
    this.registry.get(channel)?.close();
  }

  /** Per channel: clients, events published, clients dropped as slow, events replayed, resets sent. */
  stats(): Record<string, ChannelStats> {
    const result: Record<string, ChannelStats> = {};
    for (const [name, channel] of this.registry.entries()) {
      result[name] = channel.stats;
    }
    return result;
  }

  /**
   * This instance's totals: open streams and the `maxClients` cap, streams
   * refused by it, channels, and the size of all history against
   * `history.totalBytes` (with the events dropped to keep within it).
   */
  totals(): SseTotals {
    const { historyBudget } = this.registry;
    return {
      streams: this.tracker.count,
      maxClients: this.tracker.maxClients,
      refusedStreams: this.tracker.refusedCount,
      queuedBytes: this.tracker.queuedBytes,
      backlogged: this.tracker.backlogWatch.size,
      channels: this.registry.size,
      historyBytes: historyBudget.total,
      totalHistoryBytes: historyBudget.limit,
      evictedEvents: historyBudget.evicted,
    };
  }

  /** Stops every `connect()`ed source. */
  beforeApplicationShutdown(): void {
    this.sources.stopAll();
  }
}

/** The `to` / `except` of publish options (checked) as a list of their own. */
const list = (identities: string | readonly string[] | undefined): string[] | undefined =>
  identities === undefined ? undefined : typeof identities === 'string' ? [identities] : [...identities];

function assertIdentity(identity: unknown): string {
  if (typeof identity !== 'string' || identity === '') {
    throw new SseEncodingError(messages.invalidOptionValue('identity', identity, 'pass the non-empty string identify() gave.'));
  }
  return identity;
}

function assertChannelName(name: unknown): asserts name is string {
  if (!isChannelName(name)) {
    throw new SseEncodingError(messages.invalidChannelName(name));
  }
}
