import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Logger } from '@nestjs/common';
import { SseHealthIndicator } from '../../lib/health/sse-health.indicator.js';
import type { ResolvedSseModuleOptions } from '../../lib/options/module-options.js';
import { redisHealth } from '../../lib/transport/redis/redis-health.js';
import { RedisSubscriptions } from '../../lib/transport/redis/redis-subscriptions.js';
import { RedisKeys } from '../../lib/transport/redis/redis-keys.js';
import { RedisTransport } from '../../lib/transport/redis/redis.transport.js';
import type { RedisClientLike } from '../../lib/transport/redis/redis-transport-options.interface.js';
import type { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import type { ConnectionTracker } from '../../lib/tracker/connection-tracker.js';
import type { SseTransport, SseTransportHealth, SseTransportHost } from '../../lib/interfaces/sse-transport.interface.js';

const tracker = { count: 7 } as ConnectionTracker;
const registry = { size: 3 } as ChannelRegistry;
const indicator = (transport?: Partial<SseTransport>) =>
  new SseHealthIndicator(tracker, registry, { transport } as unknown as ResolvedSseModuleOptions);

describe('SseHealthIndicator', () => {
  it('reports the in-memory transport up, under "sse" or the key given', () => {
    expect(indicator().isHealthy()).toEqual({ sse: { status: 'up', transport: 'memory', streams: 7, channels: 3 } });
    expect(indicator().isHealthy('events')).toEqual({ events: { status: 'up', transport: 'memory', streams: 7, channels: 3 } });
  });

  it('reports a transport without health() up, by its class name', () => {
    class QueueTransport {}
    expect(indicator(new QueueTransport() as Partial<SseTransport>).isHealthy()).toEqual({
      sse: { status: 'up', transport: 'QueueTransport', streams: 7, channels: 3 },
    });
  });

  it("reports what the transport's health() says, whose details never replace the status or the counts", () => {
    let health: SseTransportHealth = { up: true, message: 'ignored when up', details: { link: 'ok', status: 'up', streams: 0 } };
    const transport = { health: () => health };
    expect(indicator(transport).isHealthy()).toEqual({ sse: { status: 'up', transport: 'Object', streams: 7, channels: 3, link: 'ok' } });
    health = { up: false, message: 'the link is down', details: { link: 'lost', status: 'up' } };
    expect(indicator(transport).isHealthy()).toEqual({
      sse: { status: 'down', transport: 'Object', streams: 7, channels: 3, link: 'lost', message: 'the link is down' },
    });
  });
});

describe('Redis transport health', () => {
  const ready = (channels: string[]) => ({ state: 'ready', channels: new Set(channels) });

  it('is up only when the command connection and the subscription connection are both ready', () => {
    expect(redisHealth('ready', ready(['a', 'b']))).toEqual({
      up: true,
      details: { commandConnection: 'ready', subscriptionConnection: 'ready', subscribedChannels: 2 },
    });
    for (const [commands, subscriptions] of [
      ['reconnecting', 'ready'],
      ['ready', 'reconnecting'],
      ['ready', 'resubscribing'],
      ['connecting', 'connecting'],
    ]) {
      const health = redisHealth(commands, { state: subscriptions, channels: new Set(['a']) });
      expect(health.up).toBe(false);
      expect(health.details).toEqual({ commandConnection: commands, subscriptionConnection: subscriptions, subscribedChannels: 1 });
      expect(health.message).toBe(
        `Redis is not ready (command connection "${commands}", subscription connection "${subscriptions}"): publishes fail and clients of this instance get no new events until both are "ready" (ioredis reconnects by itself).`,
      );
    }
  });

  it('is down, "closed", when the transport is not running', () => {
    const transport = new RedisTransport({ connection: 'redis://127.0.0.1:1' });
    expect(transport.health()).toMatchObject({
      up: false,
      details: { commandConnection: 'closed', subscriptionConnection: 'closed', subscribedChannels: 0 },
    });
  });

  it('counts the subscription connection ready only once its channels are subscribed again after an outage', async () => {
    const subscriber = Object.assign(new EventEmitter(), {
      status: 'ready',
      subscribe: jest.fn(async () => undefined),
      unsubscribe: async () => undefined,
      disconnect: () => undefined,
    });
    const host = { suspend: jest.fn(), resume: jest.fn() } as unknown as SseTransportHost;
    const logger = { log: () => undefined, warn: () => undefined } as unknown as Logger;
    const subscriptions = new RedisSubscriptions(subscriber as unknown as RedisClientLike, new RedisKeys('p:', false), host, logger);
    subscriber.emit('ready');
    await subscriptions.subscribe('a');
    expect(subscriptions.state).toBe('ready');

    subscriber.status = 'reconnecting';
    subscriber.emit('close');
    expect(subscriptions.state).toBe('reconnecting');
    let resubscribed!: () => void;
    subscriber.subscribe.mockImplementationOnce(() => new Promise<undefined>((resolve) => (resubscribed = () => resolve(undefined))));
    subscriber.status = 'ready';
    subscriber.emit('ready');
    expect(subscriptions.state).toBe('resubscribing');
    expect(redisHealth('ready', subscriptions).up).toBe(false);
    resubscribed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(subscriptions.state).toBe('ready');
    expect(redisHealth('ready', subscriptions)).toMatchObject({ up: true, details: { subscribedChannels: 1 } });
    subscriptions.close();
  });
});
