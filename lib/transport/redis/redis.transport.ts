import { Logger } from '@nestjs/common';
import { LOG_INTERVAL, RateLimitedLog } from '../../util/rate-limited-log.js';
import { SSE_LOGGER_CONTEXT } from '../../sse.constants.js';
import * as messages from '../../sse.messages.js';
import {
  SseTransportError,
  type SseTransport,
  type SseTransportEvent,
  type SseTransportHealth,
  type SseTransportHost,
  type SseTransportPublish,
  type SseTransportRead,
  type SseTransportReadSince,
} from '../../interfaces/sse-transport.interface.js';
import type { ClusterSubscriptions } from './cluster-subscriptions.js';
import { PublishPipeline, publishArgs, publishError } from './publish-pipeline.js';
import { closeConnections, isClusterOptions, openConnections } from './redis-connections.js';
import { SequenceKey } from './sequence-keys.js';
import { redisHealth } from './redis-health.js';
import { RedisKeys } from './redis-keys.js';
import { READ_SCRIPT, SUBSCRIBERS_SCRIPT, runScript, sharded } from './redis-scripts.js';
import { RedisPresence } from './redis-presence.js';
import type { RedisSubscriptions } from './redis-subscriptions.js';
import { resolveRedisTransportOptions, type ResolvedRedisTransportOptions } from './redis-transport-options.js';
import type { RedisClientLike, RedisTransportOptions } from './redis-transport-options.interface.js';
import { toRead } from './stream-entry.js';
import { channelTag, compareChannelIds, parseCallerId, parseChannelId, streamIdOf, withTag } from './channel-id.js';

/** ioredis statuses of a client that had a connection and lost it. */
const LOST_STATUSES = new Set(['reconnecting', 'close', 'end']);
/** How long close() waits for Redis to hear of the channels this instance left (their Streams' expiry). */
const CLOSE_WAIT_MS = 2000;
const SHARDED_SUBSCRIBERS_SCRIPT = sharded(SUBSCRIBERS_SCRIPT);

/**
 * Shares channels among every instance of the application through Redis
 * (7.0 or newer), with `ioredis`.
 *
 * Each channel is a Redis Stream, `<keyPrefix><channel>`: an event's id is
 * the id of its Stream entry, given once by Redis, and the channel's tag
 * (`<ms>-<seq>.<tag>`, see channel-id.ts), so every instance and every client
 * sees the same id, and no channel takes another's ids for its own; the
 * Stream is the history (trimmed to `history` events; expiring `history.ttl`
 * after the last instance with clients on the channel unsubscribed, and kept
 * at `history.ttl` + `presenceLease` while one is: see history-expiry.ts), so
 * a client can resume on any instance, across restarts. A publish appends to
 * the Stream, numbers the event in the sequence across channels (one hash,
 * for streams on many channels) and publishes to the Pub/Sub channel of the
 * same name in one script, so every instance gets the events in publish
 * order; an instance subscribes only to the channels it has clients on.
 *
 * On a Redis Cluster every key of a channel carries its hash tag (one slot
 * per script, see redis-keys.ts), live events go by sharded Pub/Sub, and
 * each channel is numbered in its own sequence: streams on many channels
 * need one server.
 *
 * @publicApi
 */
export class RedisTransport implements SseTransport {
  private readonly keys: RedisKeys;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private host: SseTransportHost | undefined;
  private commands: RedisClientLike | undefined;
  private subscriptions: RedisSubscriptions | ClusterSubscriptions | undefined;
  private ownsCommands = false;
  private readonly errors = new RateLimitedLog(LOG_INTERVAL, (message) => this.logger.error(message));
  /** Publishes sent but not confirmed yet: they fail at once when the connection drops. */
  private readonly inFlight = new Set<(error: Error) => void>();
  private readonly pipeline: PublishPipeline;
  private presence: RedisPresence | undefined;

  private readonly options: ResolvedRedisTransportOptions;
  /** The sequence across channels (each channel's own on a cluster). */
  private readonly sequence: SequenceKey;
  constructor(options: RedisTransportOptions) {
    this.options = resolveRedisTransportOptions(options);
    this.keys = new RedisKeys(this.options.keyPrefix, isClusterOptions(this.options));
    this.sequence = new SequenceKey(this.keys);
    this.pipeline = PublishPipeline.of(() => this.commands, this.keys.cluster);
    if (this.keys.cluster) {
      // (No sequence across channels on a cluster: see the class's comment.)
      Object.defineProperty(this, 'readSince', { value: undefined });
    }
  }

  async init(host: SseTransportHost): Promise<void> {
    if (this.host) {
      throw new Error(messages.redisTransportShared());
    }
    this.host = host;
    const connections = await openConnections(this.options, this.keys, host, this.logger, this.logError);
    if (this.host !== host) {
      return closeConnections(connections); // (close() came while it connected, e.g. on a start-up error)
    }
    this.commands = connections.commands;
    this.ownsCommands = connections.owned;
    this.subscriptions = connections.subscriptions;
    this.commands.on('close', this.onCommandsClose);
    this.presence = new RedisPresence(
      () => this.commands,
      this.keys,
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
    const { args, tag } = publishArgs(this.sequence, request, this.options.presenceLease);
    // While it first connects ioredis queues the command; once it has lost
    // the connection, the publish fails at once instead of piling up.
    if (LOST_STATUSES.has(commands.status)) {
      return Promise.reject(new SseTransportError(messages.redisNotConnected(commands.status, request.channel)));
    }
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
          reject(publishError(request, error));
        } else {
          resolve(withTag(String(reply), tag));
        }
      });
    });
  }

  async subscribe(channel: string): Promise<SseTransportEvent | undefined> {
    if (!this.subscriptions) throw new Error(messages.redisNotStarted('subscribe()'));
    await this.subscriptions.subscribe(channel);
    const ttl = this.host?.historyTtl ?? 0;
    const [{ lastId, newest }] = await Promise.all([
      this.read(channel, '0-0', 0),
      this.sequence.watched(this.commands!, channel, ttl > 0 ? ttl + this.options.presenceLease : 0),
    ]);
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
    const key = this.keys.stream(channel);
    const reply = (await runScript(this.commands, READ_SCRIPT, [key], [streamIdOf(afterId), count])) as unknown[];
    return toRead(reply, channelTag(key));
  }

  async readSince(channel: string, seq: number, count: number, fromStart: boolean): Promise<SseTransportReadSince> {
    if (!this.commands) throw new SseTransportError('RedisTransport: readSince() after the application shut down.');
    return this.sequence.readSince(this.commands, channel, seq, count, fromStart);
  }

  async sendControl(message: string): Promise<void> {
    if (!this.commands || !this.subscriptions) {
      throw new Error(messages.redisNotStarted('sendControl()'));
    }
    await this.commands.call(this.keys.cluster ? 'SPUBLISH' : 'PUBLISH', this.subscriptions.controlTopic, message);
  }

  async countSubscribers(channel: string): Promise<number> {
    if (!this.commands) {
      return 0;
    }
    const code = this.keys.cluster ? SHARDED_SUBSCRIBERS_SCRIPT : SUBSCRIBERS_SCRIPT;
    return Number(await runScript(this.commands, code, [this.keys.stream(channel)], []));
  }

  /** Up when both connections are ready and subscribed; with their states and the subscribed channel count. */
  health(): SseTransportHealth {
    return redisHealth(this.commands?.status, this.subscriptions);
  }

  /** `<ms>-<seq>.<tag>` with `channel`'s tag only: an id of another channel is none of this one's. */
  parseId(id: string, channel: string): string | undefined {
    return parseChannelId(id, channelTag(this.keys.stream(channel)));
  }

  /** A Stream id above `0-0`, with `channel`'s tag or none; the event's id gets the tag. */
  callerId(id: string, channel: string): string | undefined {
    return parseCallerId(id, channelTag(this.keys.stream(channel)));
  }

  compareIds(a: string, b: string): number {
    return compareChannelIds(a, b);
  }

  async close(): Promise<void> {
    // The channels left (their Streams' expiry starts) reach Redis before the connections close.
    await this.subscriptions?.unsubscribeAll(CLOSE_WAIT_MS);
    const { commands, subscriptions } = this;
    this.presence?.stop();
    this.presence = undefined;
    this.host = undefined;
    this.commands = undefined;
    this.subscriptions = undefined;
    commands?.removeListener('close', this.onCommandsClose);
    this.onCommandsClose();
    if (commands && subscriptions) {
      await closeConnections({ commands, subscriptions, owned: this.ownsCommands });
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
    const error = new SseTransportError(messages.redisPublishUnconfirmed());
    for (const abandon of [...this.inFlight]) {
      abandon(error);
    }
  };

  private readonly logError = (error: Error): void => {
    this.host?.connectionError?.(error);
    this.errors.report((count) => `Redis: ${error.message}${count > 1 ? ` (${count} errors since the last one logged)` : ''}`);
  };
}
