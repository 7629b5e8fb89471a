import { Logger } from '@nestjs/common';
import { LOG_INTERVAL, RateLimitedLog } from '../../util/rate-limited-log.js';
import { SSE_LOGGER_CONTEXT } from '../../sse.constants.js';
import * as messages from '../../sse.messages.js';
import { SseEncodingError } from '../../wire/encoder.js';
import {
  SseTransportError,
  type SseTransport,
  type SseTransportEvent,
  type SseTransportHealth,
  type SseTransportHost,
  type SseTransportPublish,
  type SseTransportRead,
} from '../sse-transport.interface.js';
import { loadIoredis } from './load-ioredis.js';
import { PublishPipeline } from './publish-pipeline.js';
import { redisHealth } from './redis-health.js';
import { READ_SCRIPT, runScript } from './redis-scripts.js';
import { RedisPresence } from './redis-presence.js';
import { RedisSubscriptions } from './redis-subscriptions.js';
import { resolveRedisTransportOptions, type ResolvedRedisTransportOptions } from '../../options/redis-transport-options.js';
import type { RedisClientLike, RedisTransportOptions } from './redis-transport-options.interface.js';
import { toEvent, type StreamEntry } from './stream-entry.js';
import { compareStreamIds, parseStreamId } from './stream-id.js';

/** Below this history bound the Stream is trimmed exactly; above, approximately (cheaper for Redis). */
const EXACT_TRIM_BELOW = 100;
/** ioredis statuses of a client that had a connection and lost it. */
const LOST_STATUSES = new Set(['reconnecting', 'close', 'end']);

/**
 * Shares channels among every instance of the application through Redis
 * (7.0 or newer), with `ioredis`.
 *
 * Each channel is a Redis Stream, `<keyPrefix><channel>`: an event's id is
 * the id of its Stream entry, given once by Redis, so every instance and
 * every client sees the same id; the Stream is the history (trimmed to
 * `history` events, expiring after `historyTtl` without publishes), so a
 * client can resume on any instance, across restarts. A publish appends to
 * the Stream and publishes to the Pub/Sub channel of the same name in one
 * script, so every instance gets the events in id order; an instance
 * subscribes only to the channels it has clients on.
 *
 * @publicApi
 */
export class RedisTransport implements SseTransport {
  private readonly keyPrefix: string;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private host: SseTransportHost | undefined;
  private commands: RedisClientLike | undefined;
  private subscriptions: RedisSubscriptions | undefined;
  private ownsCommands = false;
  private readonly errors = new RateLimitedLog(LOG_INTERVAL, (message) => this.logger.error(message));
  /** Publishes sent but not confirmed yet: they fail at once when the connection drops. */
  private readonly inFlight = new Set<(error: Error) => void>();
  private readonly pipeline = new PublishPipeline(() => this.commands);
  private presence: RedisPresence | undefined;

  private readonly options: ResolvedRedisTransportOptions;

  constructor(options: RedisTransportOptions) {
    this.options = resolveRedisTransportOptions(options);
    this.keyPrefix = this.options.keyPrefix;
  }

  async init(host: SseTransportHost): Promise<void> {
    if (this.host) {
      throw new Error(
        'This RedisTransport already serves another application. Create one per application, e.g. in SseModule.forRootAsync({ useFactory: () => ({ transport: new RedisTransport(...) }) }).',
      );
    }
    this.host = host;
    if (this.options.client) {
      this.commands = this.options.client;
      this.ownsCommands = false;
    } else {
      const Redis = await loadIoredis();
      const { connection } = this.options;
      this.commands = (typeof connection === 'string' ? new Redis(connection) : new Redis(connection)) as RedisClientLike;
      this.ownsCommands = true;
      this.commands.on('error', this.logError);
    }
    this.commands.on('close', this.onCommandsClose);
    const subscriber = this.commands.duplicate({ autoResubscribe: false, lazyConnect: false });
    subscriber.on('error', this.logError);
    this.subscriptions = new RedisSubscriptions(subscriber, this.keyPrefix, host, this.logger);
    this.presence = new RedisPresence(
      () => this.commands,
      this.keyPrefix,
      (channel, identity) => host.presenceSwept(channel, identity),
      this.options.presenceLease,
    );
    this.presence.start();
  }

  presenceJoin = (channel: string, identity: string): Promise<boolean> => this.withPresence((presence) => presence.join(channel, identity));
  presenceLeave = (channel: string, identity: string): Promise<void> => this.withPresence((presence) => presence.leave(channel, identity));
  presenceGone = (channel: string, identity: string): Promise<boolean> => this.withPresence((presence) => presence.gone(channel, identity));
  presenceList = (channel: string): Promise<string[]> => this.withPresence((presence) => presence.list(channel));

  /** Rejects (never throws) before init() and after close(): a late presence call must not throw from a timer. */
  private withPresence<T>(use: (presence: RedisPresence) => Promise<T>): Promise<T> {
    return this.presence ? use(this.presence) : Promise.reject(new Error(messages.redisNotStarted('presence')));
  }

  publish(request: SseTransportPublish): Promise<string> {
    const commands = this.commands;
    if (!commands || !this.host) {
      throw new Error(messages.redisNotStarted('publish()'));
    }
    let id = '*';
    if (request.id !== undefined) {
      const canonical = parseStreamId(request.id);
      if (canonical === undefined || canonical === '0-0') {
        throw new SseEncodingError(messages.notAStreamId(request.id, request.channel));
      }
      id = canonical;
    }
    // While it first connects ioredis queues the command; once it has lost
    // the connection, the publish fails at once instead of piling up.
    if (LOST_STATUSES.has(commands.status)) {
      return Promise.reject(
        new SseTransportError(
          `Redis is not connected (status "${commands.status}"): the event for channel ${messages.quote(request.channel)} was not published. Clients stay connected and get later events once Redis is back.`,
        ),
      );
    }
    const { history, historyTtl } = request;
    const key = this.keyPrefix + request.channel;
    const audience = request.audience ? JSON.stringify(request.audience) : '';
    const args = [key, key, id, history < EXACT_TRIM_BELOW ? '=' : '~', history, historyTtl, request.event ?? '', request.data, request.endEvent, audience];
    return new Promise<string>((resolve, reject) => {
      const abandon = (error: Error) => {
        this.inFlight.delete(abandon);
        reject(error);
      };
      this.inFlight.add(abandon);
      this.pipeline.push(args, (error, reply) => {
        if (!this.inFlight.delete(abandon)) {
          return;
        }
        if (error) {
          reject(this.publishError(request, error));
        } else {
          resolve(String(reply));
        }
      });
    });
  }

  private publishError(request: SseTransportPublish, error: Error): Error {
    if (error.message.startsWith('ENDED')) {
      return new SseEncodingError(messages.channelEnded(request.channel));
    }
    if (/equal or smaller than the target stream top item/i.test(error.message)) {
      return new SseEncodingError(messages.idNotIncreasing(request.id, request.channel));
    }
    return new SseTransportError(messages.redisPublishFailed(request.channel, error.message));
  }

  async subscribe(channel: string): Promise<SseTransportEvent | undefined> {
    if (!this.subscriptions) {
      throw new Error(messages.redisNotStarted('subscribe()'));
    }
    await this.subscriptions.subscribe(channel);
    const { lastId, newest } = await this.read(channel, '0-0', 0);
    // (An entry since deleted by XDEL leaves the newest id without its event.)
    return lastId === undefined ? undefined : newest?.id === lastId ? newest : { id: lastId, event: undefined, data: '' };
  }

  unsubscribe(channel: string): void {
    this.subscriptions?.unsubscribe(channel);
  }

  async read(channel: string, afterId: string, count: number): Promise<SseTransportRead> {
    if (!this.commands) {
      throw new SseTransportError('RedisTransport: read() after the application shut down.');
    }
    const reply = (await runScript(this.commands, READ_SCRIPT, [this.keyPrefix + channel], [afterId, count])) as unknown[];
    if (reply.length === 0) {
      return { events: [], lastId: undefined, trimmedUpTo: undefined };
    }
    // (The newest entry comes only with a read of no events: what subscribe() asks for.)
    const [lastId, trimmed, deleted, entries, newest = []] = reply as [string, string, string, StreamEntry[], (StreamEntry | [])?];
    // A client behind either of them has missed events.
    const trimmedUpTo = compareStreamIds(String(trimmed), String(deleted)) >= 0 ? String(trimmed) : String(deleted);
    return {
      events: entries.map(toEvent),
      lastId: String(lastId),
      trimmedUpTo: trimmedUpTo === '0-0' ? undefined : trimmedUpTo,
      newest: newest.length === 2 ? toEvent(newest as StreamEntry) : undefined,
    };
  }

  async sendControl(message: string): Promise<void> {
    if (!this.commands || !this.subscriptions) {
      throw new Error(messages.redisNotStarted('sendControl()'));
    }
    await this.commands.call('PUBLISH', this.subscriptions.controlTopic, message);
  }

  async countSubscribers(channel: string): Promise<number> {
    if (!this.commands) {
      return 0;
    }
    const [, count] = (await this.commands.call('PUBSUB', 'NUMSUB', this.keyPrefix + channel)) as [string, number];
    return Number(count);
  }

  /** Up when both connections are ready and subscribed; with their states and the subscribed channel count. */
  health(): SseTransportHealth {
    return redisHealth(this.commands?.status, this.subscriptions);
  }

  parseId(id: string): string | undefined {
    return parseStreamId(id);
  }

  compareIds(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  async close(): Promise<void> {
    const { commands, subscriptions } = this;
    this.presence?.stop();
    this.presence = undefined;
    this.host = undefined;
    this.commands = undefined;
    this.subscriptions = undefined;
    subscriptions?.close();
    commands?.removeListener('close', this.onCommandsClose);
    this.onCommandsClose();
    if (commands && this.ownsCommands) {
      if (commands.status === 'ready') {
        await commands.quit().catch(() => commands.disconnect());
      } else {
        commands.disconnect();
      }
    }
  }

  /**
   * The command connection dropped: the publishes it had sent are not
   * confirmed. ioredis sends them again once it reconnects, so each may
   * still be published then, or not at all; their callers learn it now
   * rather than after the outage.
   */
  private readonly onCommandsClose = (): void => {
    if (this.inFlight.size === 0) {
      return;
    }
    const error = new SseTransportError(
      'Lost the connection to Redis before the publish was confirmed: the event may still be published once Redis is back (ioredis sends it again), or not at all.',
    );
    for (const abandon of [...this.inFlight]) {
      abandon(error);
    }
  };

  private readonly logError = (error: Error): void => {
    this.host?.connectionError?.(error);
    this.errors.report((count) => `Redis: ${error.message}${count > 1 ? ` (${count} errors since the last one logged)` : ''}`);
  };
}
