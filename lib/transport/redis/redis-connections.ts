import type { Logger } from '@nestjs/common';
import type { SseTransportHost } from '../../interfaces/sse-transport.interface.js';
import { ClusterSubscriptions } from './cluster-subscriptions.js';
import { HistoryExpiry } from './history-expiry.js';
import { loadIoredis } from './load-ioredis.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisSubscriptions } from './redis-subscriptions.js';
import type { ResolvedRedisTransportOptions } from './redis-transport-options.js';
import type { RedisClientLike, RedisClusterLike } from './redis-transport-options.interface.js';

/** The transport's connections: commands, and subscriptions (one more connection; on a cluster, one per master). */
export interface RedisConnections {
  readonly commands: RedisClientLike;
  /** Whether the transport opened `commands` (and closes it). */
  readonly owned: boolean;
  readonly subscriptions: RedisSubscriptions | ClusterSubscriptions;
}

/** Whether the options are for a Redis Cluster. */
export function isClusterOptions(options: Pick<ResolvedRedisTransportOptions, 'client' | 'cluster'>): boolean {
  return options.cluster !== undefined || options.client?.isCluster === true;
}

/** Opens (or takes the given client for) the command connection, then the subscriptions. */
export async function openConnections(
  options: ResolvedRedisTransportOptions,
  keys: RedisKeys,
  host: SseTransportHost,
  logger: Logger,
  logError: (error: Error) => void,
): Promise<RedisConnections> {
  let commands = options.client;
  const owned = commands === undefined;
  if (!commands) {
    const { connection, cluster } = options;
    if (cluster) {
      const Cluster = await loadIoredis('Cluster');
      commands = new Cluster(cluster.nodes, cluster.options ?? {}) as RedisClientLike;
    } else {
      const Redis = await loadIoredis();
      commands = (typeof connection === 'string' ? new Redis(connection) : new Redis(connection)) as RedisClientLike;
    }
    commands.on('error', logError);
  }
  const expiry = new HistoryExpiry(commands, keys, host.historyTtl ?? 0, options.presenceLease);
  if (keys.cluster) {
    return { commands, owned, subscriptions: new ClusterSubscriptions(commands as RedisClusterLike, keys, host, logger, logError, expiry) };
  }
  const subscriber = commands.duplicate({ autoResubscribe: false, lazyConnect: false });
  subscriber.on('error', logError);
  return { commands, owned, subscriptions: new RedisSubscriptions(subscriber, keys, host, logger, expiry) };
}

/** Closes the subscriptions, and the command connection if the transport opened it (QUIT when ready). */
export async function closeConnections({ commands, owned, subscriptions }: RedisConnections): Promise<void> {
  subscriptions.close();
  if (!owned) {
    return;
  }
  if (commands.status === 'ready') {
    await commands.quit().catch(() => commands.disconnect());
  } else {
    commands.disconnect();
  }
}
