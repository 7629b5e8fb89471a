import { assertKnownKeys } from '../../util/assert-known-keys.js';
import * as messages from '../../sse.messages.js';
import type { RedisClientLike, RedisTransportOptions } from './redis-transport-options.interface.js';

const OPTION_KEYS = ['client', 'connection', 'keyPrefix', 'presenceLease'];

/** Checks `RedisTransport` options when it is created; returns the key prefix to use. */
export function checkRedisTransportOptions(options: RedisTransportOptions): string {
  const where = 'RedisTransport options';
  if (options === null || typeof options !== 'object') {
    throw new Error(messages.mustBeAnObject(where, options, "{ connection: 'redis://127.0.0.1:6379' }"));
  }
  assertKnownKeys(where, options, OPTION_KEYS);
  const { client, connection } = options;
  if ((client === undefined) === (connection === undefined)) {
    throw new Error(
      `${where}: give either "client" (an ioredis client) or "connection" (a redis:// URL or ioredis options)${client === undefined ? '' : ', not both'}.`,
    );
  }
  if (client !== undefined && (client === null || typeof (client as RedisClientLike).duplicate !== 'function')) {
    throw new Error(messages.invalidOptionValue(`${where}.client`, client, 'pass an ioredis client (new Redis(...)).'));
  }
  if (client?.options?.keyPrefix) {
    throw new Error(
      `Invalid ${where}.client: it has the ioredis option keyPrefix ${messages.quote(client.options.keyPrefix)}, which would not apply to the Pub/Sub channels. Use RedisTransport's own keyPrefix option instead.`,
    );
  }
  if (connection !== undefined && typeof connection !== 'string' && (connection === null || typeof connection !== 'object')) {
    throw new Error(messages.invalidOptionValue(`${where}.connection`, connection, 'pass a redis:// URL or ioredis options.'));
  }
  const lease = options.presenceLease;
  if (lease !== undefined && (typeof lease !== 'number' || !Number.isSafeInteger(lease) || lease < 300)) {
    throw new Error(messages.invalidOptionValue(`${where}.presenceLease`, lease, 'it must be an integer number of milliseconds, 300 or more.'));
  }
  const keyPrefix = options.keyPrefix ?? 'sse:';
  if (typeof keyPrefix !== 'string') {
    throw new Error(messages.invalidOptionValue(`${where}.keyPrefix`, keyPrefix, "it must be a string, like 'sse:'."));
  }
  return keyPrefix;
}
