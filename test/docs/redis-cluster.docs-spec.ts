import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { SseHealthIndicator } from 'nestjs-sse-channel';
import { AppModule } from '../../docs/examples/redis-cluster/app.module.js';
import { RedisCluster } from '../src/redis-cluster.js';
import { redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';

const hasRedis = redisServerAvailable();

// The Redis guide's cluster example (docs/examples/redis-cluster/): the same AppModule started
// twice (Express and Fastify) on a local Redis Cluster of 3 masters and 3 replicas.
(hasRedis ? describe : describe.skip)('the Redis Cluster example: two instances on a 3+3 cluster', () => {
  let cluster: RedisCluster;
  let a: INestApplication;
  let b: INestApplication;
  const urls = { a: '', b: '' };

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    process.env.REDIS_CLUSTER_NODES = cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(',');
    a = await NestFactory.create(AppModule, { logger: false });
    b = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    await Promise.all([a.listen(0, '127.0.0.1'), b.listen(0, '127.0.0.1')]);
    urls.a = (await a.getUrl()).replace('[::1]', '127.0.0.1');
    urls.b = (await b.getUrl()).replace('[::1]', '127.0.0.1');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    delete process.env.REDIS_CLUSTER_NODES;
    await cluster?.destroy();
  });

  const say = async (on: string, room: string, text: string) => {
    const response = await fetch(`${on}/rooms/${room}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  it('messages posted on A reach an EventSource on B in many rooms (over every master), and a reconnect to A resumes exactly', async () => {
    const rooms = ['1', '2', '3', '4', '5', '6'];
    const received = new Map<string, { id: string; text: string }[]>(rooms.map((room) => [room, []]));
    const sources = rooms.map((room) => {
      const source = new EventSource(`${urls.b}/rooms/${room}`);
      source.addEventListener('chat', (event) => received.get(room)!.push({ id: event.lastEventId, text: JSON.parse(event.data).text }));
      return source;
    });
    await until(() => sources.every((source) => source.readyState === EventSource.OPEN), 'the EventSources to open');
    await new Promise((resolve) => setTimeout(resolve, 100)); // (the instance subscribes to each room on Redis)
    const ids = await Promise.all(rooms.map((room) => say(urls.a, room, `hello ${room}`)));
    await until(() => rooms.every((room) => received.get(room)!.length === 1), 'a message in every room');
    expect(rooms.map((room) => received.get(room)![0])).toEqual(rooms.map((room, i) => ({ id: ids[i], text: `hello ${room}` })));
    sources.forEach((source) => source.close());

    // Room 1's client was away for two messages; it comes back on A with its Last-Event-ID.
    const missed = [await say(urls.b, '1', 'missed 1'), await say(urls.a, '1', 'missed 2')];
    const back: string[] = [];
    const resumed = new EventSource(`${urls.a}/rooms/1`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, 'last-event-id': ids[0] } }),
    });
    resumed.addEventListener('chat', (event) => back.push(event.lastEventId));
    await until(() => back.length === 2, 'the missed messages');
    expect(back).toEqual(missed);
    resumed.close();
  });

  it('reports health per master', () => {
    const { sse } = b.get(SseHealthIndicator).isHealthy('sse');
    expect(sse.status).toBe('up');
    expect(String((sse as Record<string, unknown>).shards)).toMatch(/^127\.0\.0\.1:\d+ ready(; 127\.0\.0\.1:\d+ ready)*$/);
  });
});
