import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { createParser } from 'eventsource-parser';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { SseClientError } from 'nestjs-sse-channel/client';
import { SseTestStream, type SseTestEvent } from 'nestjs-sse-channel/testing';
import { AppModule } from '../../docs/examples/runs/app.module.js';
import { ask } from '../../docs/examples/runs/client.js';
import { fakeAnswer } from '../../docs/examples/runs/llm.service.js';
import { until } from '../src/until.js';

/** The tokens of the fake model's answer to `question`, as the client gets them. */
const tokensOf = (question: string) => fakeAnswer(question).split(/(?<= )/);

/** What the cutting proxy saw. */
interface CuttingProxy {
  url: string;
  /** Connections made through it so far. */
  connections: () => number;
  /** The request head (request line and headers) of each connection, in order. */
  requests: string[];
  /** What the first connection carried to the client before the cut (HTTP head and body, raw). */
  forwarded: () => string;
  close: () => Promise<void>;
}

/**
 * A TCP proxy to the app that cuts its first connection right after the
 * client has got `tokens` token frames from it — exactly there, however far
 * the run has gone on the server — and carries later connections whole.
 * `tokens` 0: cut right after the response's head, before any event.
 */
async function cuttingProxy(target: string, tokens: number): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let connections = 0;
  let carried = '';
  const server: Server = createServer((client) => {
    const first = ++connections === 1;
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    let head = '';
    const at = requests.push('') - 1;
    client.on('data', (data: Buffer) => {
      if (!head.includes('\r\n\r\n')) {
        head += data.toString('latin1');
        requests[at] = head.split('\r\n\r\n')[0];
      }
    });
    client.pipe(upstream);
    let received = '';
    let forwarded = 0;
    upstream.on('data', (data: Buffer) => {
      if (!first) {
        client.write(data);
        return;
      }
      received += data.toString('latin1');
      // Where to cut, once it has come: after the `tokens`-th token frame, or after the head.
      let end = -1;
      if (tokens === 0) {
        const body = received.indexOf('\r\n\r\n');
        end = body === -1 ? -1 : body + 4;
      }
      for (let seen = 0, from = 0; seen < tokens; seen++) {
        const frame = received.indexOf('event: token\n', from);
        const close = frame === -1 ? -1 : received.indexOf('\n\n', frame);
        if (close === -1) break;
        from = close + 2;
        if (seen === tokens - 1) end = from;
      }
      if (end === -1) {
        client.write(Buffer.from(received.slice(forwarded), 'latin1'));
        forwarded = received.length;
        return;
      }
      carried = received.slice(0, end);
      upstream.pause();
      client.end(Buffer.from(received.slice(forwarded, end), 'latin1'), () => {
        client.destroy();
        upstream.destroy();
      });
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    requests,
    forwarded: () => carried,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A header of a raw request head. */
const headerOf = (head: string, name: string) => new RegExp(`^${name}: ([^\r\n]*)`, 'im').exec(head)?.[1];

/** Reads a POST /answers with fetch until `tokens` token events have come, then drops the connection. */
async function askAndDrop(url: string, question: string, tokens: number): Promise<SseTestEvent[]> {
  const controller = new AbortController();
  const response = await fetch(`${url}/answers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question }),
    signal: controller.signal,
  });
  const events: SseTestEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event ?? 'message', data: e.data, id: e.id, retry: undefined }) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  while (events.filter((e) => e.event === 'token').length < tokens) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`the answer ended after ${events.length} events`);
    parser.feed(chunk.value);
  }
  controller.abort();
  // (Frames read along with the last one wanted count as not received.)
  const last = events.findIndex((e, i) => e.event === 'token' && events.slice(0, i + 1).filter((f) => f.event === 'token').length === tokens);
  return events.slice(0, last + 1);
}

// docs/runs.md: docs/examples/runs/ as pasted — the POST that starts a run and
// streams it, the GET that resumes it, the cached answer, and client.ts.
describe.each(['express', 'fastify'] as const)('runs (an LLM answer) on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  });
  afterAll(() => app?.close());

  const post = (question: string) => SseTestStream.open(url, { path: '/answers', method: 'POST', body: { question } });

  it('POST /answers streams the run in its response: the run id first, every token, then the end; the end id gets 204', async () => {
    const question = `${platform}: what is a run?`;
    const stream = await post(question);
    expect(stream.status).toBe(200);
    await stream.waitForEnd();
    const [first, ...rest] = stream.events;
    expect(first.event).toBe('run');
    const { id } = JSON.parse(first.data) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rest.slice(0, -1).map((e) => [e.event, e.data])).toEqual(tokensOf(question).map((token) => ['token', token]));
    const end = rest.at(-1)!;
    expect([end.event, JSON.parse(end.data)]).toEqual(['sse-end', { channel: `answers/${id}`, reason: 'complete' }]);
    expect(new Set(stream.events.map((e) => e.id)).size).toBe(stream.events.length);

    // A client back with the end's id: 204, which stops EventSource.
    const back = await fetch(`${url}/answers/${id}`, { headers: { 'last-event-id': end.id! } });
    expect(back.status).toBe(204);
    // A client without an id: the whole run, from its first event (from: 'start').
    const late = await SseTestStream.open(url, { path: `/answers/${id}` });
    await late.waitForEnd();
    expect(late.events).toEqual(stream.events);
  });

  it('a client cut mid-answer resumes with its last id on GET /answers/<id> and gets every remaining token once, then the end', async () => {
    const question = `${platform}: resume me`;
    const seen = await askAndDrop(url, question, 3);
    const runId = (JSON.parse(seen[0].data) as { id: string }).id;
    const resumed = await SseTestStream.open(url, { path: `/answers/${runId}`, headers: { 'last-event-id': seen.at(-1)!.id! } });
    await resumed.waitForEnd();
    const tokens = [...seen, ...resumed.events].filter((e) => e.event === 'token').map((e) => e.data);
    expect(tokens).toEqual(tokensOf(question));
    expect(resumed.events.at(-1)!.event).toBe('sse-end');
    expect(resumed.events.filter((e) => e.event === 'run' || e.event === 'sse-reset')).toEqual([]);
  });

  it('a browser hands the cut run to EventSource (?lastEventId=): the rest once, then 204 after the end, and it stops', async () => {
    const question = `${platform}: hand over`;
    const seen = await askAndDrop(url, question, 2);
    const runId = (JSON.parse(seen[0].data) as { id: string }).id;
    const source = new EventSource(`${url}/answers/${runId}?lastEventId=${encodeURIComponent(seen.at(-1)!.id!)}`);
    const tokens = seen.filter((e) => e.event === 'token').map((e) => e.data);
    let ended = false;
    const errors: (number | undefined)[] = [];
    source.addEventListener('token', (event) => tokens.push(event.data));
    source.addEventListener('sse-end', () => (ended = true));
    source.onerror = (event) => errors.push((event as { code?: number }).code);
    try {
      await until(() => source.readyState === EventSource.CLOSED, 'EventSource to stop on the 204 after the end', 15_000);
      expect(ended).toBe(true);
      expect(tokens).toEqual(tokensOf(question));
      expect(errors.at(-1)).toBe(204);
    } finally {
      source.close();
    }
  });

  it('client.ts (SseClient) gets the whole answer: every token as text, even those that look like JSON; ask() resolves at the end', async () => {
    const question = `${platform}: is 42 true or null?`;
    const tokens: string[] = [];
    await ask(url, question, (token) => tokens.push(token));
    expect(tokens).toEqual(tokensOf(question));
    expect(tokens).toEqual(expect.arrayContaining(['42 ', 'true ']));
  });

  it('client.ts, cut after 4 tokens: one GET /answers/<run id> with the 4th token’s id as Last-Event-ID resumes it, each token once', async () => {
    const question = `${platform}: client, cut`;
    const proxy = await cuttingProxy(url, 4);
    try {
      const tokens: string[] = [];
      await ask(proxy.url, question, (token) => tokens.push(token));
      expect(tokens).toEqual(tokensOf(question));
      expect(proxy.connections()).toBe(2); // the POST, cut after 4 tokens, and one GET that resumed it
      const [post, get] = proxy.requests;
      expect(post).toMatch(/^POST \/answers HTTP\/1\.1\r\n/);
      expect(headerOf(post, 'last-event-id')).toBeUndefined();
      // The run's id, from the first event; the id of the last token the client got before the cut.
      const runId = /"id":"([0-9a-f-]{36})"/.exec(proxy.forwarded())![1];
      const lastId = [...proxy.forwarded().matchAll(/^id: (.+)$/gm)].at(-1)![1];
      expect(get).toMatch(new RegExp(`^GET /answers/${runId} HTTP/1\\.1\r\n`));
      expect(headerOf(get, 'last-event-id')).toBe(lastId);
      expect(headerOf(get, 'content-type')).toBeUndefined(); // no body on the GET
    } finally {
      await proxy.close();
    }
  });

  it('client.ts, cut before the run’s first event: nothing to resume, ask() rejects and asks nothing more', async () => {
    const proxy = await cuttingProxy(url, 0);
    try {
      const tokens: string[] = [];
      await expect(ask(proxy.url, `${platform}: cut at once`, (token) => tokens.push(token))).rejects.toThrow('The answer was cut off before it began: ask again.');
      expect(tokens).toEqual([]);
      expect(proxy.connections()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('client.ts, a run ended before its answer is complete (end()): ask() rejects with the reason', async () => {
    const broadcaster = app.get(SseBroadcaster);
    const tokens: string[] = [];
    const asking = ask(url, `${platform}: stop me`, (token) => tokens.push(token));
    await until(() => tokens.length >= 2, 'two tokens');
    // The run this client reads: the one answers/<id> channel with a client.
    const [channel] = Object.keys(broadcaster.stats()).filter((name) => name.startsWith('answers/') && broadcaster.clientCount(name) === 1);
    await broadcaster.end(channel);
    await expect(asking).rejects.toThrow('The answer stopped before its end (ended).');
    expect(tokens.length).toBeLessThan(tokensOf(`${platform}: stop me`).length);
  });

  it('client.ts, an empty question: ask() rejects with the 400 and its JSON body (SseClientError, refused)', async () => {
    const error = (await ask(url, ' ', () => undefined).then(
      () => undefined,
      (e: unknown) => e,
    )) as SseClientError;
    expect(error).toBeInstanceOf(SseClientError);
    expect([error.kind, error.status]).toEqual(['refused', 400]);
    expect(error.body).toMatchObject({ statusCode: 400, message: 'Send JSON {"question": "..."}.' });
  });

  it('a cached answer streams fully through POST (the run has ended before its client joins): run, the answer, end', async () => {
    const question = `${platform}: cache me`;
    const first = await post(question);
    await first.waitForEnd();
    const again = await post(question);
    await again.waitForEnd();
    expect(again.events.map((e) => e.event)).toEqual(['run', 'token', 'sse-end']);
    expect(again.events[1].data).toBe(fakeAnswer(question));
    const runId = (JSON.parse(again.events[0].data) as { id: string }).id;
    expect(runId).not.toBe((JSON.parse(first.events[0].data) as { id: string }).id);
    expect(JSON.parse(again.events[2].data)).toEqual({ channel: `answers/${runId}`, reason: 'complete' });
  });

  it('a POST without a question is a 400, before any byte of a stream', async () => {
    const stream = await SseTestStream.open(url, { path: '/answers', method: 'POST', body: { text: 'hi' } });
    await stream.waitForEnd();
    expect(stream.status).toBe(400);
    expect((JSON.parse(stream.body) as { message: string }).message).toBe('Send JSON {"question": "..."}.');
  });
});
