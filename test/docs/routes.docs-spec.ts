import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { SseTestStream } from 'nestjs-sse-channel/testing';
import { AppModule } from '../../docs/examples/routes/app.module.js';
import { until } from '../src/until.js';

// docs/routes-and-channels.md's example (docs/examples/routes/): two routes on one
// channel, a whisper with `to`, a guarded stream, and a per-client stream.
describe.each(['express', 'fastify'] as const)('the routes example on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app?.close());

  const cookie = (user: string) => ({ cookie: `user=${user}` });
  const open = (path: string, user?: string, headers: Record<string, string> = {}) =>
    SseTestStream.open(url, { path, headers: { ...(user === undefined ? {} : cookie(user)), ...headers } });
  const post = async (path: string, user: string, body: object) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...cookie(user) }, body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  it('one publish reaches the channel route as `chat` and the second route on its channel as `notice`, with one id', async () => {
    const [chat, notices] = await Promise.all([open('/rooms/42', 'ann'), open('/rooms/42/notifications', 'bob')]);
    const id = await post('/rooms/42', 'ann', { text: 'hi' });
    const [[onChat], [onNotice]] = await Promise.all([chat.waitForEvents(1), notices.waitForEvents(1)]);
    expect(onChat).toEqual({ event: 'chat', id, data: '{"from":"ann","text":"hi"}', retry: undefined });
    expect(onNotice).toEqual({ ...onChat, event: 'notice' });
    await Promise.all([chat.close(), notices.close()]);
  });

  it('an EventSource gets the named events with addEventListener (onmessage sees none of them)', async () => {
    const source = new EventSource(`${url}/rooms/9`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...cookie('ann') } }),
    });
    const chats: { text: string; id: string }[] = [];
    const unnamed: string[] = [];
    source.addEventListener('chat', (event) => chats.push({ text: JSON.parse(event.data).text, id: event.lastEventId }));
    source.onmessage = (event) => unnamed.push(event.data);
    try {
      await until(() => source.readyState === EventSource.OPEN, 'the stream to open');
      const id = await post('/rooms/9', 'bob', { text: 'hello' });
      await until(() => chats.length === 1, 'the chat event');
      expect(chats).toEqual([{ text: 'hello', id }]);
      expect(unnamed).toEqual([]);
    } finally {
      source.close();
    }
  });

  it('a whisper (publish with `to`) reaches only the streams of its identity, as `whisper`, on both routes', async () => {
    const [ann, bob, bobNotices] = await Promise.all([open('/rooms/5', 'ann'), open('/rooms/5', 'bob'), open('/rooms/5/notifications', 'bob')]);
    const whisper = await post('/rooms/5/whisper', 'ann', { to: 'bob', text: 'psst' });
    const after = await post('/rooms/5', 'ann', { text: 'after' });
    await Promise.all([ann.waitForEvents(1), bob.waitForEvents(2), bobNotices.waitForEvents(2)]);
    // Events arrive in publish order: ann's first event is the one after the whisper.
    expect(ann.events.map((e) => [e.event, e.id])).toEqual([['chat', after]]);
    expect(bob.events.map((e) => [e.event, e.id, e.data])).toEqual([
      ['whisper', whisper, '{"from":"ann","text":"psst"}'],
      ['chat', after, '{"from":"ann","text":"after"}'],
    ]);
    expect(bobNotices.events.map((e) => [e.event, e.id])).toEqual([
      ['whisper', whisper],
      ['notice', after],
    ]);
    await Promise.all([ann.close(), bob.close(), bobNotices.close()]);
  });

  it('the guard runs first: without a user the stream request is a 401 JSON response, no SSE', async () => {
    const stream = await open('/rooms/42');
    await stream.waitForEnd();
    expect(stream.status).toBe(401);
    expect(stream.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(stream.body)).toMatchObject({ statusCode: 401, message: 'Log in first: no cookie "user"' });
  });

  it('a room id that would leave its channel ("1/private") is a 400 on the stream route, before the handler', async () => {
    const stream = await open('/rooms/1%2Fprivate', 'ann');
    await stream.waitForEnd();
    expect(stream.status).toBe(400);
    expect(JSON.parse(stream.body).message).toMatch(/^Invalid route parameter "id" "1\/private"/);
  });

  it('a per-client stream: each value a `line` event, then `done`, then the response ends', async () => {
    const stream = await open('/jobs/7/log');
    await stream.waitForEnd();
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.events.map((e) => [e.event, e.id, e.data])).toEqual([
      ['line', '1', 'npm ci'],
      ['line', '2', 'npm run build'],
      ['line', '3', 'npm test'],
      ['done', undefined, 'passed'],
    ]);
  });

  it('a per-client stream resumes by itself: with Last-Event-ID 2 (or ?lastEventId=2) it starts at line 3', async () => {
    const requests: { path: string; headers: Record<string, string> }[] = [
      { path: '/jobs/7/log', headers: { 'last-event-id': '2' } },
      { path: '/jobs/7/log?lastEventId=2', headers: {} },
    ];
    for (const request of requests) {
      const stream = await open(request.path, undefined, request.headers);
      await stream.waitForEnd();
      expect(stream.events.map((e) => e.data)).toEqual(['npm test', 'passed']);
    }
  });

  it('an unknown job is a 404 JSON response, not a stream', async () => {
    const stream = await open('/jobs/8/log');
    await stream.waitForEnd();
    expect(stream.status).toBe(404);
    expect(JSON.parse(stream.body)).toMatchObject({ statusCode: 404, message: 'No job 8' });
  });
});
