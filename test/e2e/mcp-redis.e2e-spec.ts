import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { until } from '../src/until.js';
import { McpController } from '../../docs/examples/mcp/mcp.controller.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { callUnderway, countdown, mcpClient, rawResume, socketsOf } from '../src/mcp-client.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

/** Members (clients and followers) of MCP channels on an instance. */
const mcpMembers = (t: TestApp) =>
  Object.entries(t.app.get(SseBroadcaster).stats())
    .filter(([name]) => name.startsWith('mcp/'))
    .reduce((sum, [, stats]) => sum + stats.clients, 0);
let prefixes = 0;

// Two instances of the MCP guide's controller on one Redis: a session lives on A; its client's
// resume lands on B (A's connections were cut and a balancer sent the GET elsewhere).
(redisServerAvailable() ? describe : describe.skip)('SseMcpEventStore on Redis: a resume on another instance', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  const instance = (keyPrefix: string, ttl = 60_000, platform: Platform = 'express') =>
    createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({ heartbeat: 0, history: { ttl }, channels: { 'mcp/:stream': { size: 50 } }, transport: new RedisTransport({ connection: redis.url, keyPrefix }) }),
        }),
      ],
      controllers: [McpController],
    });

  describe('two instances: A on Express, B on Fastify', () => {
    let a: TestApp;
    let b: TestApp;
    let netA: { cut(): void };

    beforeAll(async () => {
      const keyPrefix = `mcp-${++prefixes}:`;
      [a, b] = await Promise.all([instance(keyPrefix), instance(keyPrefix, 60_000, 'fastify')]);
      netA = socketsOf(a.server);
    });
    afterAll(() => Promise.all([a?.close(), b?.close()]));

    it('a call cut mid-stream on A resumes on B: every progress notification and the result exactly once, the rest followed from A', async () => {
      let target = a.url;
      const log: string[] = [];
      const { client } = await mcpClient(() => target, log);
      let cut = false;
      const result = await countdown(client, 8, 120, (step) => {
        if (step === 3 && !cut) {
          cut = true;
          target = b.url;
          netA.cut();
        }
      });
      expect(result).toEqual({ steps: [1, 2, 3, 4, 5, 6, 7, 8], text: ['liftoff after 8'] });
      // The resume went to B, with the id of step 3; B followed what A stored after it.
      expect(log.filter((line) => line.startsWith(`GET ${b.url}/mcp `))).toHaveLength(1);
      await client.close();
    });

    it("on B too, another session's id or a made-up one replays nothing (400); its own session's replays", async () => {
      const tokens: string[] = [];
      const x = await mcpClient(() => a.url);
      const y = await mcpClient(() => a.url);
      await x.client.callTool({ name: 'countdown', arguments: { from: 2, stepMs: 0 } }, undefined, { onresumptiontoken: (token) => tokens.push(token) });
      const own = await rawResume(b.url, x.transport.sessionId!, tokens[0], 5000);
      expect(own.status).toBe(200);
      expect(own.body).toContain('liftoff after 2');
      expect(own.ended).toBe(true); // (B ends the response once the request's answer is out)
      for (const [session, id] of [
        [y.transport.sessionId!, tokens[0]],
        [x.transport.sessionId!, `${'B'.repeat(22)}${tokens[0].slice(22)}`],
        [x.transport.sessionId!, 'made-up'],
        ['not a session', tokens[0]],
      ]) {
        const answer = await rawResume(b.url, session, id);
        expect(answer.status).toBe(400);
        expect(answer.body).not.toContain('liftoff');
      }
      await Promise.all([x.client.close(), y.client.close()]);
    });

    it('a client that leaves a resume on B mid-call leaves nothing behind on B', async () => {
      const x = await mcpClient(() => a.url);
      const { tokens, call } = await callUnderway(x.client, 6);
      const resumed = await rawResume(b.url, x.transport.sessionId!, tokens[0], 250);
      expect(resumed.ended).toBe(false);
      expect(resumed.body).toContain('"progress":');
      await until(() => mcpMembers(b) === 0, "B's follow to stop");
      await call;
      await x.client.close();
    });

    it('a GET of a session B does not hold, without Last-Event-ID, gets 405; a POST gets 404', async () => {
      const x = await mcpClient(() => a.url);
      const headers = { accept: 'text/event-stream', 'mcp-session-id': x.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' };
      expect((await fetch(`${b.url}/mcp`, { headers })).status).toBe(405);
      const post = await fetch(`${b.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(post.status).toBe(404);
      await x.client.close();
    });
  });

  it('an instance that shuts down during a resume ends its response (the client resumes again elsewhere)', async () => {
    const keyPrefix = `mcp-${++prefixes}:`;
    const [a, c] = await Promise.all([instance(keyPrefix), instance(keyPrefix)]);
    try {
      const x = await mcpClient(() => a.url);
      const { tokens, call } = await callUnderway(x.client, 10);
      const resumed = rawResume(c.url, x.transport.sessionId!, tokens[0], 10_000);
      await until(() => mcpMembers(c) === 1, 'C to follow the stream');
      await c.close();
      expect((await resumed).ended).toBe(true);
      await call;
      await x.client.close();
    } finally {
      await a.close();
    }
  });
});
