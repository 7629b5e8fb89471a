import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SseMcpEventStore, SseModule } from '../../lib/index.js';
import { McpController } from '../../docs/examples/mcp/mcp.controller.js';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../src/create-app.js';
import { countdown, mcpClient, rawResume, socketsOf } from '../src/mcp-client.js';

/** The store is the SDK's EventStore, by type (tsc --noEmit checks this line). */
const asSdkStore = (store: SseMcpEventStore): EventStore => store;

// The MCP guide's controller (docs/examples/mcp/) on one instance, in memory, driven by the SDK's own client.
describe.each(PLATFORMS)('SseMcpEventStore on %s: MCP Streamable HTTP resumes on one instance', (platform: Platform) => {
  let t: TestApp;
  let net: { cut(): void };

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [McpController] });
    net = socketsOf(t.server);
  });
  afterAll(() => t.close());

  it('a tool call whose stream is cut mid-call resumes: every progress notification and the result arrive exactly once', async () => {
    const log: string[] = [];
    const { client } = await mcpClient(() => t.url, log);
    let cut = false;
    const result = await countdown(client, 8, 100, (step) => {
      if (step === 3 && !cut) {
        cut = true;
        net.cut();
      }
    });
    expect(result).toEqual({ steps: [1, 2, 3, 4, 5, 6, 7, 8], text: ['liftoff after 8'] });
    // (It did resume: a GET with the last id it had.)
    expect(log.some((line) => /^GET \S+ \S+\.\S+\.\S+$/.test(line))).toBe(true);
    await client.close();
  });

  it("another session's Last-Event-ID replays nothing of it; in its own session the same id replays", async () => {
    const tokens: string[] = [];
    const x = await mcpClient(() => t.url);
    await x.client.callTool({ name: 'countdown', arguments: { from: 2, stepMs: 0 } }, undefined, { onresumptiontoken: (token) => tokens.push(token) });
    const y = await mcpClient(() => t.url);
    const first = tokens[0];
    expect(first).toMatch(/^[\w-]{22}\.[\w-]+\.\S+$/);

    const own = await rawResume(t.url, x.transport.sessionId!, first);
    expect(own.status).toBe(200);
    expect(own.body).toContain('liftoff after 2');

    const other = await rawResume(t.url, y.transport.sessionId!, first);
    expect(other.status).toBe(400);
    expect(other.body).not.toContain('liftoff');
    expect(other.body).toContain('Invalid event ID');
    await Promise.all([x.client.close(), y.client.close()]);
  });

  it('a made-up id replays nothing: any other shape, a forged tag, a real tag with another stream, an overlong id', async () => {
    const tokens: string[] = [];
    const x = await mcpClient(() => t.url);
    await x.client.callTool({ name: 'countdown', arguments: { from: 1, stepMs: 0 } }, undefined, { onresumptiontoken: (token) => tokens.push(token) });
    const [tag, stream, channelId] = tokens[0].split('.');
    const otherStream = Buffer.from('_GET_stream').toString('base64url');
    for (const id of ['nonsense', '0', `${'A'.repeat(22)}.${stream}.${channelId}`, `${tag}.${otherStream}.${channelId}`, `${tag}.${stream}`, `${tokens[0]}${'x'.repeat(600)}`]) {
      const answer = await rawResume(t.url, x.transport.sessionId!, id);
      expect([id.slice(0, 40), answer.status]).toEqual([id.slice(0, 40), 400]);
      expect(answer.body).not.toContain('liftoff');
    }
    await x.client.close();
  });

});

describe('SseMcpEventStore: sessions, identities, replay', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('express', { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [McpController] });
  });
  afterAll(() => t.close());

  it("the guide's controller closes sessions idle for 30 minutes and refuses an initialize beyond 10 000 sessions", async () => {
    const controller = t.app.get(McpController);
    const sessions = (controller as unknown as { sessions: Map<string, unknown> }).sessions;
    const x = await mcpClient(() => t.url);
    const sessionId = x.transport.sessionId!;
    controller.closeIdleSessions(Date.now() + 29 * 60_000);
    expect(sessions.has(sessionId)).toBe(true);
    controller.closeIdleSessions(Date.now() + 31 * 60_000);
    expect(sessions.has(sessionId)).toBe(false);
    await expect(x.client.listTools()).rejects.toThrow(/404|Session not found/);
    await x.client.close();

    const fillers = Array.from({ length: 10_000 - sessions.size }, (_, i) => `filler-${i}`);
    fillers.forEach((id) => sessions.set(id, { transport: { close: async () => undefined }, seen: Date.now() }));
    try {
      const refused = await fetch(`${t.url}/mcp`, {
        method: 'POST',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
      });
      expect(refused.status).toBe(503);
    } finally {
      fillers.forEach((id) => sessions.delete(id));
    }
  });

  it('in memory, a resume of a session this instance does not hold gets 404 Session not found (nothing else could answer it)', async () => {
    const tokens: string[] = [];
    const x = await mcpClient(() => t.url);
    await x.client.callTool({ name: 'countdown', arguments: { from: 1, stepMs: 0 } }, undefined, { onresumptiontoken: (token) => tokens.push(token) });
    const sessionId = x.transport.sessionId!;
    await x.transport.terminateSession();
    await x.client.close();
    const answer = await rawResume(t.url, sessionId, tokens[0]);
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('Session not found');
    expect(answer.body).not.toContain('liftoff');
  });

  it('binds events to the identity too, and refuses to work unbound or with a bad session id', async () => {
    const store = t.app.get(SseMcpEventStore);
    expect(asSdkStore(store.forSession('s-1'))).toBeInstanceOf(SseMcpEventStore);
    const alice = store.forSession('s-1', { identity: 'alice' });
    const id = await alice.storeEvent('stream-1', { jsonrpc: '2.0', method: 'notifications/message', params: { n: 1 } });
    expect(await store.forSession('s-1', { identity: 'alice' }).getStreamIdForEventId(id)).toBe('stream-1');
    expect(await store.forSession('s-1', { identity: 'bob' }).getStreamIdForEventId(id)).toBeUndefined();
    expect(await store.forSession('s-1').getStreamIdForEventId(id)).toBeUndefined();
    await expect(store.forSession('s-1', { identity: 'bob' }).replayEventsAfter(id, { send: async () => undefined })).rejects.toThrow(/is not an event id of this MCP session/);

    await expect(store.storeEvent('stream-1', {})).rejects.toThrow(/not bound to an MCP session.*eventStore: store\.forSession\(sessionId\)/);
    await expect(store.getStreamIdForEventId(id)).rejects.toThrow(/not bound to an MCP session/);
    for (const bad of ['', 'a b', 'x'.repeat(257), 'é', 42]) {
      expect(() => store.forSession(bad as string)).toThrow(/Invalid MCP session id .*1-256 visible ASCII characters/);
    }
    for (const bad of ['', 'a\0b', 'x'.repeat(1025), 7]) {
      expect(() => store.forSession('s', { identity: bad as string })).toThrow(/Invalid identity .*non-empty string without NUL/);
    }
  });

  it('replays a stream in order from any of its ids, skipping the priming event', async () => {
    const store = t.app.get(SseMcpEventStore).forSession('s-2');
    const priming = await store.storeEvent('st', {});
    const ids = [];
    for (let n = 1; n <= 5; n++) ids.push(await store.storeEvent('st', { jsonrpc: '2.0', method: 'notifications/progress', params: { n } }));
    const sent: [string, unknown][] = [];
    const send = async (eventId: string, message: unknown) => void sent.push([eventId, (message as { params: { n: number } }).params.n]);
    expect(await store.replayEventsAfter(priming, { send })).toBe('st');
    expect(sent).toEqual(ids.map((eventId, i) => [eventId, i + 1]));
    sent.length = 0;
    await store.replayEventsAfter(ids[2], { send });
    expect(sent).toEqual([[ids[3], 4], [ids[4], 5]]);
  });

  it('a store racing a replay of its stream is neither lost nor sent twice', async () => {
    const store = t.app.get(SseMcpEventStore).forSession('s-3');
    const first = await store.storeEvent('st', { jsonrpc: '2.0', method: 'm', params: { n: 0 } });
    const sent: number[] = [];
    const replaying = store.replayEventsAfter(first, { send: async (_id, message) => void sent.push((message as { params: { n: number } }).params.n) });
    // Stored while the replay runs: it waits for the replay to be handed over (it is the transport's to send, live).
    const later = store.storeEvent('st', { jsonrpc: '2.0', method: 'm', params: { n: 2 } });
    await replaying;
    const laterId = await later;
    expect(sent).toEqual([]);
    expect(await t.app.get(SseMcpEventStore).forSession('s-3').getStreamIdForEventId(laterId)).toBe('st');
  });
});

describe('@modelcontextprotocol/sdk is an optional peer', () => {
  it('no file of lib/ imports it: only lib/mcp/ names it (in comments, messages, and the name of the dynamic import)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));
    const naming = files('lib').filter((file) => readFileSync(file, 'utf8').includes('@modelcontextprotocol'));
    expect(naming.map((file) => file.replaceAll('\\', '/')).filter((file) => !file.startsWith('lib/mcp/'))).toEqual([]);
    expect(naming.length).toBeGreaterThan(0);
    for (const file of naming) {
      expect(readFileSync(file, 'utf8')).not.toMatch(/(from|import\(|require\()\s*['"]@modelcontextprotocol/);
    }
  });

  it('an app without it starts and stores; resume() says what to install (built library)', () => {
    const run = spawnSync(process.execPath, ['--import', './test/src/hide-package.mjs', 'test/src/mcp-without-sdk.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, SSE_HIDE_PACKAGE: '@modelcontextprotocol/sdk' },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      'started',
      'stored true',
      'resume: SseMcpEventStore.resume() needs the MCP SDK: npm install @modelcontextprotocol/sdk (1.32 or later).',
    ]);
  });
});
