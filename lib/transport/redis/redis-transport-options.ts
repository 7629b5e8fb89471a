/**
 * The schema of `new RedisTransport(options)`: checked when it is created.
 */
import * as messages from '../../sse.messages.js';
import { PRESENCE_LEASE_MS } from './redis-presence.js';
import type { RedisClientLike, RedisClusterConnection, RedisTransportOptions } from './redis-transport-options.interface.js';
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
  cluster: custom<RedisClusterConnection>((cluster, field, at) => {
    const nodes = (cluster as RedisClusterConnection | null)?.nodes;
    if (cluster === null || typeof cluster !== 'object' || !Array.isArray(nodes) || nodes.length === 0) {
      throw at.error(messages.invalidOptionValue(field, cluster, "pass { nodes: [{ host: '127.0.0.1', port: 7000 }], options?: ClusterOptions }."));
    }
    const options = (cluster as RedisClusterConnection).options;
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw at.error(messages.invalidOptionValue(`${field}.options`, options, 'pass ioredis ClusterOptions (an object), or leave it out.'));
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
  const given = [resolved.client, resolved.connection, resolved.cluster].filter((value) => value !== undefined).length;
  if (given !== 1) {
    throw new Error(
      `${where}: give one of "client" (an ioredis Redis or Cluster), "connection" (a redis:// URL or ioredis options) and "cluster" ({ nodes, options })${given === 0 ? '' : ', not several'}.`,
    );
  }
  return resolved;
}
