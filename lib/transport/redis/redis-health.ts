import type { SseTransportHealth } from '../../interfaces/sse-transport.interface.js';

/** What the health view needs of the subscription connection. */
interface SubscriptionsView {
  readonly state: string;
  readonly channels: ReadonlySet<string>;
  /** On a cluster: each master's subscription connection, by node. */
  readonly shardStates?: Record<string, string>;
}

/**
 * The Redis transport's health, from what ioredis knows now (no round trip):
 * up when the command connection is ready and the subscription connection is
 * ready with its channels subscribed (again, after an outage). The details
 * give each connection's state (`closed` when the transport is not running)
 * and how many channels this instance is subscribed to — those its clients
 * are on, which it subscribes to again when the connection comes back. On a
 * cluster the subscription connection is `ready` only when every channel is
 * subscribed on the master that serves it, and `shards` gives each master's
 * connection (`host:port state; …`).
 */
export function redisHealth(commandStatus: string | undefined, subscriptions: SubscriptionsView | undefined): SseTransportHealth {
  const commandConnection = commandStatus ?? 'closed';
  const subscriptionConnection = subscriptions?.state ?? 'closed';
  const shards = subscriptions?.shardStates;
  const details = {
    commandConnection,
    subscriptionConnection,
    subscribedChannels: subscriptions?.channels.size ?? 0,
    ...(shards ? { shards: Object.entries(shards).map(([node, state]) => `${node} ${state}`).join('; ') } : {}),
  };
  if (commandConnection === 'ready' && subscriptionConnection === 'ready') {
    return { up: true, details };
  }
  return {
    up: false,
    message: `Redis is not ready (command connection "${commandConnection}", subscription connection "${subscriptionConnection}"): publishes fail and clients of this instance get no new events until both are "ready" (ioredis reconnects by itself).`,
    details,
  };
}
