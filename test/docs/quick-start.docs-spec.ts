import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { AppModule } from '../../docs/examples/quick-start/app.module.js';
import { until } from '../src/until.js';

// The README's five-minute start, as pasted (docs/examples/quick-start/), driven
// by a real EventSource and by fetch as `curl -N` would read it.
describe.each(['express', 'fastify'] as const)('the quick start on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app?.close());

  const say = (room: string, text: string) =>
    fetch(`${url}/rooms/${room}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });

  it('a message posted to a room reaches its EventSource clients as a chat event with an id', async () => {
    const source = new EventSource(`${url}/rooms/42`);
    const seen: { text: string; id: string }[] = [];
    source.addEventListener('chat', (event) => seen.push({ text: JSON.parse(event.data).text, id: event.lastEventId }));
    try {
      await until(() => source.readyState === EventSource.OPEN, 'the stream to open');
      const response = await say('42', 'hi');
      expect(response.status).toBe(201);
      const { id } = (await response.json()) as { id: string };
      await until(() => seen.length === 1, 'the message');
      expect(seen).toEqual([{ text: 'hi', id }]);
    } finally {
      source.close();
    }
  });

  it('curl -N shows the frames: event, id, data', async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/rooms/7`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const { id } = (await (await say('7', 'hello')).json()) as { id: string };
    let text = '';
    while (!text.includes('\n\n')) {
      text += new TextDecoder().decode((await reader.read()).value);
    }
    expect(text).toBe(`event: chat\nid: ${id}\ndata: {"text":"hello"}\n\n`);
    controller.abort();
  });

  it('a room id that would leave its channel ("1/private") is a 400 naming the param', async () => {
    const response = await say('1%2Fprivate', 'sneaky');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^Invalid id "1\/private": it fills ":id" of the channel "rooms\/:id"/);
  });
});
