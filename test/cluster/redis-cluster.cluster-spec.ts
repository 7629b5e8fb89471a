import { Controller } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { Cluster as Cluster5 } from 'ioredis5';
import { RedisTransport, SseBroadcaster, SseChannels, SseHealthIndicator, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { keySlot } from '../../lib/transport/redis/cluster-slot.js';
import { RedisKeys } from '../../lib/transport/redis/redis-keys.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { expiresAt, identify, IdentityController } from '../src/identity.controller.js';
import { generations, RunsController } from '../src/runs.controller.js';
import { RedisCluster } from '../src/redis-cluster.js';
import { redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';
import { McpController } from '../../docs/examples/mcp/mcp.controller.js';
import { countdown, mcpClient, rawResume, socketsOf } from '../src/mcp-client.js';

const hasRedis = redisServerAvailable();
const token = (user: string) => ({ authorization: `Bearer ${user}.${Date.now() + 60_000}` });
const LEASE = 900;
let prefixes = 0;

/** The Redis suites' promises on a local Redis Cluster of 3 masters and 3 replicas (issue 24 §2). */
(hasRedis ? describe : describe.skip)('RedisTransport on a Redis Cluster (3 masters + 3 replicas)', () => {
  let cluster: RedisCluster;
  let admin: Cluster;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    admin = new Cluster(cluster.startupNodes);
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.destroy();
  });

  /** One app instance on the cluster: A connects itself ({ cluster }), B is given an ioredis Cluster. */
  const instance = (platform: Platform, keyPrefix: string, given = false) => {
    let client: Cluster | undefined;
    const transport = () => {
      if (!given) return new RedisTransport({ cluster: { nodes: cluster.startupNodes }, keyPrefix, presenceLease: LEASE });
      client = new Cluster(cluster.startupNodes);
      return new RedisTransport({ client, keyPrefix, presenceLease: LEASE });
    };
    return createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({
            heartbeat: 0,
            channels: { 'live/small': { size: 3 } },
            identities: { identify, expiresAt, presenceLeaveDelay: 100 },
            transport: transport(),
          }),
        }),
      ],
      controllers: [DeliveryController, IdentityController, RunsController],
    }).then((app) => ({ ...app, close: async () => (await app.close(), client?.disconnect()) }));
  };

  describe('two instances, A (express, { cluster }) and B (fastify, a Cluster client)', () => {
    let a: TestApp;
    let b: TestApp;
    let keys: RedisKeys;
    const on = (t: TestApp) => t.app.get(SseBroadcaster);

    beforeAll(async () => {
      const keyPrefix = `c${++prefixes}:`;
      keys = new RedisKeys(keyPrefix, true);
      [a, b] = await Promise.all([instance('express', keyPrefix), instance('fastify', keyPrefix, true)]);
    }, 30_000);
    afterAll(() => Promise.all([a?.close(), b?.close()]));

    it('publishes on A reach the clients on B on channels spread over every master, in order, with the same ids', async () => {
      const topics = Array.from({ length: 12 }, (_, i) => `t${i}`);
      const masters = new Set(await Promise.all(topics.map((topic) => cluster.masterOf(keys.stream(`live/${topic}`)))));
      expect(masters.size).toBe(3); // (12 channels hashed over 3 masters: each gets some)
      const streams = await Promise.all(topics.map((topic) => SseTestStream.open(b.server, { path: `/live/${topic}/raw` })));
      await until(() => topics.every((topic) => on(b).clientCount(`live/${topic}`) === 1), 'the clients on B');
      const ids: string[][] = topics.map(() => []);
      for (let n = 0; n < 10; n++) {
        for (const [i, topic] of topics.entries()) ids[i].push(await on(n % 2 ? b : a).publish(`live/${topic}`, { n }));
      }
      for (const [i, stream] of streams.entries()) {
        const events = await stream.waitForEvents(10);
        expect(events.map((e) => e.id)).toEqual(ids[i]);
        expect(events.map((e) => JSON.parse(e.data).n)).toEqual([...Array(10).keys()]);
      }
      // Each channel's keys are in its own slot: the Stream holds the events.
      const stream = keys.stream('live/t0');
      expect(await admin.xlen(stream)).toBe(10);
      expect(keySlot(keys.watchMark('live/t0'))).toBe(keySlot(stream));
      await Promise.all(streams.map((s) => s.close()));
    });

    it('a client that leaves B resumes on A with Last-Event-ID: exactly what it missed, then live events', async () => {
      const first = await SseTestStream.open(b.server, { path: '/live/move/raw' });
      await until(() => on(b).clientCount('live/move') === 1, 'the client on B');
      const ids = [await on(a).publish('live/move', 1), await on(a).publish('live/move', 2)];
      await first.waitForEvents(2);
      await first.close();
      const missed = [await on(b).publish('live/move', 3), await on(a).publish('live/move', 4)];
      const onA = await SseTestStream.open(a.server, { path: '/live/move/raw', headers: { 'last-event-id': ids[1] } });
      const replayed = await onA.waitForEvents(2);
      expect(replayed.map((e) => e.id)).toEqual(missed);
      const live = await on(b).publish('live/move', 5);
      expect((await onA.waitForEvents(3))[2]).toMatchObject({ id: live, data: '5' });
      await onA.close();
    });

    it('history-exceeded on a cluster: a resume behind the trimmed history gets the reset event, then live events', async () => {
      const early = await on(a).publish('live/small', 'early');
      let latest = '';
      for (let n = 0; n < 5; n++) latest = await on(a).publish('live/small', `n${n}`);
      const stream = await SseTestStream.open(b.server, { path: '/live/small/raw', headers: { 'last-event-id': early } });
      const [reset] = await stream.waitForEvents(1);
      expect(reset).toMatchObject({ event: 'sse-reset', id: latest });
      expect(JSON.parse(reset.data)).toEqual({ reason: 'history-exceeded', lastEventId: early, channel: 'live/small' });
      const next = await on(a).publish('live/small', 'next');
      expect((await stream.waitForEvents(2))[1]).toMatchObject({ id: next, data: 'next' });
      await stream.close();
    });

    it('a run started by POST on A resumes on B from its start and from Last-Event-ID, and ends on both', async () => {
      const runId = `cluster-${Date.now()}`;
      const started = await SseTestStream.open(a.server, { path: '/chat', method: 'POST', body: { id: runId } });
      await until(() => generations.get(runId)?.subscribed === 1, 'the run to start');
      const generation = generations.get(runId)!;
      generation.tokens.next('Hel');
      generation.tokens.next('lo');
      const [, second] = await started.waitForEvents(2);
      const fromStart = await SseTestStream.open(b.server, { path: `/runs/${runId}` });
      const resumed = await SseTestStream.open(b.server, { path: `/runs/${runId}`, headers: { 'last-event-id': second.id! } });
      expect((await fromStart.waitForEvents(2)).map((e) => e.data)).toEqual(['Hel', 'lo']);
      generation.tokens.next(' world');
      generation.tokens.complete();
      await Promise.all([started.waitForEnd(), fromStart.waitForEnd(), resumed.waitForEnd()]);
      expect(resumed.events.filter((e) => e.event === 'token').map((e) => e.data)).toEqual([' world']);
      expect(fromStart.events.filter((e) => e.event === 'token').map((e) => e.data)).toEqual(['Hel', 'lo', ' world']);
      expect(fromStart.events.at(-1)?.event).toBe('sse-end');
    });

    it('presence across instances: a join on A is announced on B once, the list is the same on both, the leave once', async () => {
      const watcher = await SseTestStream.open(b.server, { path: '/lobby/c1', headers: token('watcher') });
      const ada = await SseTestStream.open(a.server, { path: '/lobby/c1', headers: token('ada') });
      const adaAgain = await SseTestStream.open(b.server, { path: '/lobby/c1', headers: token('ada') });
      await watcher.waitFor((events) => events.some((e) => e.event === 'sse-join' && e.data.includes('ada')));
      expect(await on(a).identities('lobby/c1')).toEqual(['ada', 'watcher']);
      expect(await on(b).identities('lobby/c1')).toEqual(['ada', 'watcher']);
      await ada.close();
      await adaAgain.close();
      await watcher.waitFor((events) => events.some((e) => e.event === 'sse-leave' && e.data.includes('ada')));
      expect(watcher.events.filter((e) => e.event === 'sse-join' && e.data.includes('ada'))).toHaveLength(1);
      expect(await on(a).identities('lobby/c1')).toEqual(['watcher']);
      await watcher.close();
    });

    it('disconnect() on A ends the identity\'s streams on A and B (the control topic); others stay', async () => {
      const [onA, onB, other] = await Promise.all([
        SseTestStream.open(a.server, { path: '/rooms/c2', headers: token('ada') }),
        SseTestStream.open(b.server, { path: '/rooms/c2', headers: token('ada') }),
        SseTestStream.open(b.server, { path: '/rooms/c2', headers: token('bob') }),
      ]);
      await until(() => on(b).clientCount('rooms/c2') === 2, 'the clients on B');
      await on(a).disconnect('ada');
      await Promise.all([onA.waitForEnd(), onB.waitForEnd()]);
      expect(onB.events.at(-1)).toMatchObject({ event: 'sse-close', data: '{"reason":"revoked"}' });
      await on(a).publish('rooms/c2', 'bob is still here');
      expect((await other.waitForEvents(1))[0].data).toBe('bob is still here');
      await other.close();
    });

    it('a path param with braces never shares or escapes a slot, and an id of another channel replays nothing of it', async () => {
      // `{…}` is Redis Cluster's hash tag syntax: a client choosing it must not pick the slot, nor reach another channel.
      const topics = ['{evil}', '}x', 'x{', 'plain'];
      const streams = await Promise.all(topics.map((topic) => SseTestStream.open(b.server, { path: `/live/${encodeURIComponent(topic)}/raw` })));
      await until(() => topics.every((topic) => on(b).clientCount(`live/${topic}`) === 1), 'the clients on B');
      const ids = await Promise.all(topics.map((topic) => on(a).publish(`live/${topic}`, topic)));
      for (const [i, stream] of streams.entries()) {
        expect((await stream.waitForEvents(1)).map((e) => [e.id, e.data])).toEqual([[ids[i], topics[i]]]);
      }
      for (const topic of topics) {
        const stream = keys.stream(`live/${topic}`);
        expect(keySlot(keys.watchMark(`live/${topic}`))).toBe(keySlot(stream));
        expect(await admin.xlen(stream)).toBe(1);
      }
      // `live/plain` with the id `live/{evil}` gave: the reset, not `{evil}`'s history.
      const foreign = await SseTestStream.open(a.server, { path: '/live/plain/raw', headers: { 'last-event-id': ids[0] } });
      const [reset] = await foreign.waitForEvents(1);
      expect(reset.event).toBe('sse-reset');
      expect(JSON.parse(reset.data)).toMatchObject({ reason: 'unknown-id', channel: 'live/plain' });
      await Promise.all([...streams, foreign].map((stream) => stream.close()));
    });

    it('health is up with every master\'s subscription connection listed', async () => {
      const stream = await SseTestStream.open(b.server, { path: '/live/health/raw' });
      await until(() => on(b).clientCount('live/health') === 1, 'the client on B');
      const { sse } = b.app.get(SseHealthIndicator).isHealthy('sse');
      expect(sse.status).toBe('up');
      const shards = String((sse as Record<string, unknown>).shards ?? JSON.stringify(sse));
      expect(shards).toMatch(/127\.0\.0\.1:\d+ ready/);
      await stream.close();
    });
  });

  it('publishes made as the transport starts (before ioredis knows the slot map) all land, on every master', async () => {
    const transport = new RedisTransport({ cluster: { nodes: cluster.startupNodes }, keyPrefix: 'early:' });
    const host = { deliver: () => undefined, control: () => undefined, suspend: () => undefined, resume: () => undefined, presenceSwept: () => undefined };
    await transport.init(host as never);
    try {
      const channels = Array.from({ length: 12 }, (_, i) => `early/${i}`);
      // (In one turn: one pipeline per slot while the slot map is unknown, so none spans nodes.)
      const ids = await Promise.all(channels.map((channel) => transport.publish({ channel, event: undefined, id: undefined, data: channel, history: 10, historyTtl: 0, endEvent: 'sse-end' })));
      expect(ids).toHaveLength(12);
      const keys = new RedisKeys('early:', true);
      expect(new Set(await Promise.all(channels.map((channel) => cluster.masterOf(keys.stream(channel))))).size).toBe(3);
      for (const channel of channels) {
        expect(await admin.xlen(keys.stream(channel))).toBe(1);
      }
    } finally {
      await transport.close();
    }
  });

  it('presence of an instance that died without leaving is swept by another, channel by channel, once its lease ran out', async () => {
    const swept: [string, string][] = [];
    const hostOf = (onSwept?: (channel: string, identity: string) => void) =>
      ({ deliver: () => undefined, control: () => undefined, suspend: () => undefined, resume: () => undefined, presenceSwept: onSwept ?? (() => undefined) }) as never;
    const transport = () => new RedisTransport({ cluster: { nodes: cluster.startupNodes }, keyPrefix: 'sweep:', presenceLease: 600 });
    const [dying, survivor] = [transport(), transport()];
    await dying.init(hostOf());
    await survivor.init(hostOf((channel, identity) => swept.push([channel, identity])));
    try {
      const rooms = ['rooms/1', 'rooms/2', 'rooms/3', 'rooms/4'];
      const keys = new RedisKeys('sweep:', true);
      expect(new Set(rooms.map((room) => keySlot(keys.presence(room)))).size).toBe(4);
      for (const room of rooms) expect(await dying.presenceJoin(room, 'ada')).toBe(true);
      expect(await survivor.presenceJoin('rooms/1', 'bob')).toBe(true);
      expect(await survivor.presenceJoin('rooms/2', 'ada')).toBe(false); // (ada is on rooms/2 here too: no second join)
      // The instance dies: no leave, no more lease renewals.
      (dying as unknown as { presence: { stop(): void } }).presence.stop();
      const died = Date.now();
      await until(() => swept.length === 3, 'the dead instance\'s identities to be swept', 5000);
      expect(Date.now() - died).toBeLessThan(600 * 2);
      expect(swept.sort()).toEqual([['rooms/1', 'ada'], ['rooms/3', 'ada'], ['rooms/4', 'ada']]);
      expect(await survivor.presenceList('rooms/1')).toEqual(['bob']);
      expect(await survivor.presenceList('rooms/2')).toEqual(['ada']);
      expect(await admin.smembers('sweep:presence-instances')).toHaveLength(1);
    } finally {
      await Promise.all([dying.close(), survivor.close()]);
    }
  });

  it('works with an ioredis v5 Cluster as the client too (sharded subscriptions need ssubscribe: 5.x has it)', async () => {
    const delivered: [string, string][] = [];
    const host = { deliver: (channel: string, event: { data: string }) => delivered.push([channel, event.data]), control: () => undefined, suspend: () => undefined, resume: () => undefined, presenceSwept: () => undefined };
    const client5 = new Cluster5(cluster.startupNodes);
    const onV5 = new RedisTransport({ client: client5 as never, keyPrefix: 'v5:' });
    const onV6 = new RedisTransport({ cluster: { nodes: cluster.startupNodes }, keyPrefix: 'v5:' });
    await onV5.init(host as never);
    await onV6.init({ ...host, deliver: () => undefined } as never);
    try {
      const channels = ['v/1', 'v/2', 'v/3', 'v/4', 'v/5', 'v/6'];
      for (const channel of channels) await onV5.subscribe(channel);
      for (const channel of channels) await onV6.publish({ channel, event: undefined, id: undefined, data: `to ${channel}`, history: 10, historyTtl: 0, endEvent: 'sse-end' });
      await until(() => delivered.length === channels.length, 'the events on the v5 instance');
      expect(delivered.sort()).toEqual(channels.map((channel) => [channel, `to ${channel}`]));
      expect(onV5.health().up).toBe(true);
    } finally {
      await Promise.all([onV5.close(), onV6.close()]);
      client5.disconnect();
    }
  });

  it('@SseChannels() is refused at start-up on a cluster, with what to do instead', async () => {
    @Controller()
    class ManyController {
      @SseChannels('inbox')
      inbox() {
        return ['a', 'b'];
      }
    }
    const transport = new RedisTransport({ cluster: { nodes: cluster.startupNodes }, keyPrefix: 'many:' });
    await expect(createTestApp('express', { imports: [SseModule.forRoot({ transport })], controllers: [ManyController] })).rejects.toThrow(
      /RedisTransport on a Redis Cluster has none either/,
    );
    // (The app never started: the library closed the transport, or its Cluster would keep reconnecting.)
    expect(transport.health().details).toMatchObject({ commandConnection: 'closed', subscriptionConnection: 'closed' });
  });

  it('MCP: a tool call cut on A resumes on B (the streams on the cluster): every step and the result once; another session\'s id gets 400', async () => {
    const keyPrefix = `mcp${++prefixes}:`;
    const mcpInstance = (platform: Platform) =>
      createTestApp(platform, {
        imports: [SseModule.forRootAsync({ useFactory: () => ({ heartbeat: 0, transport: new RedisTransport({ cluster: { nodes: cluster.startupNodes }, keyPrefix }) }) })],
        controllers: [McpController],
      });
    const [a, b] = await Promise.all([mcpInstance('express'), mcpInstance('fastify')]);
    const netA = socketsOf(a.server);
    try {
      let target = a.url;
      const tokens: string[] = [];
      const { client } = await mcpClient(() => target);
      let cut = false;
      const result = await countdown(client, 6, 120, (step) => {
        if (step === 2 && !cut) {
          cut = true;
          target = b.url;
          netA.cut();
        }
      });
      expect(result).toEqual({ steps: [1, 2, 3, 4, 5, 6], text: ['liftoff after 6'] });
      const other = await mcpClient(() => a.url);
      await other.client.callTool({ name: 'countdown', arguments: { from: 1, stepMs: 0 } }, undefined, { onresumptiontoken: (t) => tokens.push(t) });
      const third = await mcpClient(() => a.url);
      const refused = await rawResume(b.url, third.transport.sessionId!, tokens[0]);
      expect(refused.status).toBe(400);
      expect(refused.body).not.toContain('liftoff');
      await Promise.all([client.close(), other.client.close(), third.client.close()]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
