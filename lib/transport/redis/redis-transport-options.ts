/**
 * The schema of `new RedisTransport(options)`: checked when it is created.
 */
import * as messages from '../../sse.messages.js';
import { PRESENCE_LEASE_MS } from './redis-presence.js';
import type { RedisClientLike, RedisTransportOptions } from './redis-transport-options.interface.js';
import { custom, resolveOptions, type Resolved, type SchemaOf } from '../../options/schema.js';


const REDIS = {
  client: custom<RedisClientLike>((client, field, at) => {
    if (client === null || typeof (client as RedisClientLike).duplicate !== 'function') {
      throw at.error(messages.invalidOptionValue(field, client, 'pass an ioredis client (new Redis(...)).'));
    }
    const prefix = (client as RedisClientLike).options?.keyPrefix;
    if (prefix) {
      throw at.error(
        `Invalid ${field}: it has the ioredis option keyPrefix ${messages.quote(prefix)}, which would not apply to the Pub/Sub channels. Use RedisTransport's own keyPrefix option instead.`,
      );
    }
  })(),
  connection: custom<string | Record<string, unknown>>((connection, field, at) => {
    if (typeof connection !== 'string' && (connection === null || typeof connection !== 'object')) {
      throw at.error(messages.invalidOptionValue(field, connection, 'pass a redis:// URL or ioredis options.'));
    }
  })(),
  keyPrefix: custom<string>((keyPrefix, field, at) => {
    if (typeof keyPrefix !== 'string') {
      throw at.error(messages.invalidOptionValue(field, keyPrefix, "it must be a string, like 'sse:'."));
    }
  })({ default: 'sse:' }),
  presenceLease: custom<number>((lease, field, at) => {
    if (typeof lease !== 'number' || !Number.isSafeInteger(lease) || lease < 300) {
      throw at.error(messages.invalidOptionValue(field, lease, 'it must be an integer number of milliseconds, 300 or more.'));
    }
  })({ default: PRESENCE_LEASE_MS }),
} satisfies SchemaOf<RedisTransportOptions>;

/** The table, for tests and docs. */
export const REDIS_TRANSPORT_SCHEMA = REDIS;

export type ResolvedRedisTransportOptions = Resolved<typeof REDIS>;

/** Checks `RedisTransport` options when it is created and fills in the defaults. */
export function resolveRedisTransportOptions(options: RedisTransportOptions): ResolvedRedisTransportOptions {
  const where = 'RedisTransport options';
  if (options === null || typeof options !== 'object') {
    throw new Error(messages.mustBeAnObject(where, options, "{ connection: 'redis://127.0.0.1:6379' }"));
  }
  const resolved = resolveOptions(REDIS, options, { where, root: where, label: 'RedisTransport option', prefix: '', error: (message) => new Error(message) });
  if ((resolved.client === undefined) === (resolved.connection === undefined)) {
    throw new Error(
      `${where}: give either "client" (an ioredis client) or "connection" (a redis:// URL or ioredis options)${resolved.client === undefined ? '' : ', not both'}.`,
    );
  }
  return resolved;
}
