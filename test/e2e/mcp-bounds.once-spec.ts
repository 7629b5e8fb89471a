import { Redis } from 'ioredis';
import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { McpController } from '../../docs/examples/mcp/mcp.controller.js';
import { createTestApp, type TestApp } from '../src/create-app.js';
import { countdown, mcpClient } from '../src/mcp-client.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// 1 000 short MCP sessions (the SDK's client, the guide's controller): what stays behind is
// bounded by the history settings. Run once, on Nest 12 (jest.config.js): these bounds are the
// store's and the channels', not Nest's.
describe('SseMcpEventStore: 1 000 short sessions', () => {
  const server = (options: Parameters<typeof SseModule.forRoot>[0]): Promise<TestApp> =>
    createTestApp('express', { imports: [SseModule.forRoot({ heartbeat: 0, ...options })], controllers: [McpController] });
  /** `count` sessions, 20 at a time: initialize, one countdown call, DELETE. */
  const sessions = async (app: TestApp, count: number, from: number) => {
    const session = async () => {
      const { client, transport } = await mcpClient(() => app.url);
      await countdown(client, from, 0);
      await transport.terminateSession();
      await client.close();
    };
    for (let done = 0; done < count; done += 20) {
      await Promise.all(Array.from({ length: 20 }, session));
    }
  };

  it('in memory: the history stays within history.totalBytes, and channels it emptied are dropped', async () => {
    const bounded = await server({ history: { totalBytes: 64 * 1024 } });
    try {
      await sessions(bounded, 1000, 2);
      const totals = bounded.app.get(SseBroadcaster).totals();
      expect(totals.historyBytes).toBeLessThanOrEqual(64 * 1024);
      expect(totals.evictedEvents).toBeGreaterThan(0);
      // Only channels that still hold events are kept (the budget's emptied ones were dropped at once).
      expect(totals.channels).toBeLessThan(1000);
      const emptyKept = [...bounded.app.get(ChannelRegistry).entries()].filter(([, channel]) => !channel.feed.keepsHistory);
      expect(emptyKept.map(([name]) => name)).toEqual([]);
      expect(totals.streams).toBe(0);
      expect((bounded.app.get(McpController) as unknown as { sessions: Map<string, unknown> }).sessions.size).toBe(0);
    } finally {
      await bounded.close();
    }
  }, 120_000);
  (redisServerAvailable() ? it : it.skip)(
    'on Redis: every stream key has at most `size` entries and an expiry, and all are gone after history.ttl',
    async () => {
      const redis = await RedisServer.start();
      const admin = new Redis(redis.url);
      const keyPrefix = 'mcp-bounds:';
      const ttl = 1500;
      const app = await server({ history: { ttl }, channels: { 'mcp/:stream': { size: 50 } }, transport: new RedisTransport({ connection: redis.url, keyPrefix }) });
      try {
        await sessions(app, 1000, 3);
        const keys = await admin.keys(`${keyPrefix}mcp/*`);
        // (Each session's streams stay for history.ttl: the latest sessions' are still there, the earliest gone.)
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.length).toBeLessThan(2000);
        const lengths = await Promise.all(keys.map((key) => admin.xlen(key)));
        expect(Math.max(...lengths)).toBeLessThanOrEqual(50);
        const ttls = await Promise.all(keys.map((key) => admin.pttl(key)));
        expect(ttls.filter((ms) => ms === -1)).toEqual([]); // every one expires (-2: it just did)
        await sleep(ttl + 1000);
        expect(await admin.keys(`${keyPrefix}mcp/*`)).toEqual([]);
      } finally {
        await app.close();
        admin.disconnect();
        await redis.destroy();
      }
    },
    120_000,
  );
});
