import { jest } from '@jest/globals';
import { SseClient, SseClientError, type SseClientOptions, type SseClientState } from '../../lib/client/index.js';
import { until } from '../src/until.js';

/** One request the client made, as the fake server saw it. */
interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
  signal: AbortSignal;
}

/** A response whose body the test writes, which errors as a real fetch body does when the request is aborted. */
interface Live {
  push(text: string): void;
  end(): void;
  /** The client cancelled or aborted it. */
  readonly gone: boolean;
}

/**
 * A fake `fetch` with a script: each call takes the next answer, or opens a
 * live event stream when the script is empty.
 */
class FakeServer {
  readonly calls: Call[] = [];
  readonly lives: Live[] = [];
  private readonly script: ((call: Call) => Response | Promise<Response>)[] = [];

  readonly fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const call: Call = {
      url: String(url),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: init?.body,
      signal: init!.signal!,
    };
    this.calls.push(call);
    const answer = this.script.shift();
    return answer ? answer(call) : this.open(call);
  }) as typeof fetch;

  /** The next calls' answers, in order. */
  then(...answers: ((call: Call) => Response | Promise<Response>)[]): this {
    this.script.push(...answers);
    return this;
  }

  get live(): Live {
    return this.lives.at(-1)!;
  }

  /** A 200 event stream tied to the call's signal. */
  open(call: Call, headers: Record<string, string> = { 'content-type': 'text/event-stream' }): Response {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let gone = false;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => void (controller = c),
      cancel: () => void (gone = true),
    });
    call.signal.addEventListener('abort', () => {
      gone = true;
      controller.error(new DOMException('This operation was aborted', 'AbortError'));
    });
    this.lives.push({
      push: (text) => controller.enqueue(new TextEncoder().encode(text)),
      end: () => controller.close(),
      get gone() {
        return gone;
      },
    });
    return new Response(body, { status: 200, headers });
  }
}

const sse = (text: string) => () => new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const refusedNetwork = () => Promise.reject(new TypeError('fetch failed'));

describe('SseClient (unit, with a fake fetch)', () => {
  let server: FakeServer;
  let client: SseClient | undefined;
  const connect = (options: SseClientOptions = {}, url = 'http://sse.test/rooms/42') => {
    client = new SseClient(url, { fetch: server.fetch, retry: 1, stallTimeout: 0, ...options });
    return client;
  };
  const collect = (c: SseClient, event: string) => {
    const seen: unknown[] = [];
    c.on(event, (data) => seen.push(data));
    return seen;
  };
  const errorsOf = (c: SseClient) => {
    const errors: SseClientError[] = [];
    c.onError((error) => errors.push(error));
    return errors;
  };

  beforeEach(() => {
    server = new FakeServer();
  });
  afterEach(() => {
    client?.close();
    jest.useRealTimers();
  });

  it('sends Accept and the headers of the function, asked again before every request', async () => {
    let n = 0;
    const c = connect({ headers: () => ({ authorization: `Bearer t${++n}` }) });
    await until(() => server.calls.length === 1, 'the first request');
    server.live.end(); // no event: a failure, retried
    await until(() => server.calls.length === 2, 'the reconnect');
    expect(server.calls.map((call) => call.headers.get('authorization'))).toEqual(['Bearer t1', 'Bearer t2']);
    expect(server.calls[0].headers.get('accept')).toBe('text/event-stream');
    expect(server.calls[0].headers.has('last-event-id')).toBe(false);
    c.close();
  });

  it('goes connecting → open, parses JSON data (text that is not JSON stays text), and gives the id in meta', async () => {
    const c = connect();
    const states: SseClientState[] = [];
    c.onState((state) => states.push(state));
    const seen: [unknown, string | undefined, string][] = [];
    c.on('message', (data, meta) => seen.push([data, meta.id, meta.event]));
    c.on('chat', (data, meta) => seen.push([data, meta.id, meta.event]));
    expect(c.state).toBe('connecting');
    await until(() => server.lives.length === 1, 'the stream');
    server.live.push('id: 1\ndata: {"text":"hi"}\n\nevent: chat\nid: 2\ndata: plain words\n\n');
    await until(() => seen.length === 2, 'two events');
    expect(seen).toEqual([
      [{ text: 'hi' }, '1', 'message'],
      ['plain words', '2', 'chat'],
    ]);
    expect(c.state).toBe('open');
    expect(states).toEqual(['open']);
    expect(c.lastEventId).toBe('2');
  });

  it('resumes: every reconnect sends the last id as Last-Event-ID, after exactly the server’s retry:', async () => {
    server.then(sse('retry: 7\nid: a1\ndata: 1\n\n'), sse('id: a2\ndata: 2\n\n'));
    const c = connect({ retry: 60_000 });
    const seen = collect(c, 'message');
    const errors = errorsOf(c);
    await until(() => server.calls.length === 3, 'two reconnects');
    expect(seen).toEqual([1, 2]);
    expect(server.calls.map((call) => call.headers.get('last-event-id'))).toEqual([null, 'a1', 'a2']);
    // A normal end after events: reconnecting is no error.
    expect(errors).toEqual([]);
  });

  it('an empty id: resets the last id — the next reconnect sends none', async () => {
    server.then(sse('id: 5\ndata: x\n\nid:\ndata: y\n\nretry: 1\n\n'));
    const c = connect();
    await until(() => server.calls.length === 2, 'the reconnect');
    expect(server.calls[1].headers.has('last-event-id')).toBe(false);
    expect(c.lastEventId).toBeUndefined();
  });

  it('starts from options.lastEventId', async () => {
    connect({ lastEventId: 'kept.7' });
    await until(() => server.calls.length === 1, 'the request');
    expect(server.calls[0].headers.get('last-event-id')).toBe('kept.7');
  });

  it('a POST with a JSON body; reconnects GET reconnectUrl without a body', async () => {
    server.then(sse('id: r1\ndata: "tok"\n\n'));
    connect({ method: 'POST', body: { prompt: 'hi' }, reconnectUrl: () => 'http://sse.test/runs/9' }, 'http://sse.test/chat');
    await until(() => server.calls.length === 2, 'the reconnect');
    const [post, get] = server.calls;
    expect([post.method, post.url, post.body, post.headers.get('content-type')]).toEqual(['POST', 'http://sse.test/chat', '{"prompt":"hi"}', 'application/json']);
    expect([get.method, get.url, get.body, get.headers.get('last-event-id')]).toEqual(['GET', 'http://sse.test/runs/9', undefined, 'r1']);
  });

  it('a reconnectUrl function is asked only for reconnects (a run\'s id may not be known before the first request)', async () => {
    server.then(sse('event: run\ndata: {"id":"r9"}\nid: a1\n\n'));
    let runId: string | undefined;
    const asked: (string | undefined)[] = [];
    const c = connect(
      {
        method: 'POST',
        body: { prompt: 'hi' },
        reconnectUrl: () => {
          asked.push(runId);
          if (runId === undefined) throw new Error('no run yet');
          return `http://sse.test/runs/${runId}`;
        },
      },
      'http://sse.test/chat',
    );
    c.on('run' as never, (data: unknown) => (runId = (data as { id: string }).id));
    await until(() => server.calls.length === 2, 'the reconnect');
    expect(asked).toEqual(['r9']);
    expect([server.calls[0].method, server.calls[1].url]).toEqual(['POST', 'http://sse.test/runs/r9']);
    c.close();
  });

  it('close() from an error listener: no wait left behind, and headers() is not asked again', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      server.then(refusedNetwork);
      let headersAsked = 0;
      const c = connect({ retry: 60_000, headers: () => (headersAsked++, {}) });
      c.onError(() => c.close());
      await expect(c.done).resolves.toBeUndefined();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(jest.getTimerCount()).toBe(0); // (a pending wait would keep a Node process alive for retryIn)
      jest.advanceTimersByTime(120_000);
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect([headersAsked, server.calls.length, c.state]).toEqual([1, 1, 'closed']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('204: closed, done resolves with undefined, no other request', async () => {
    server.then(() => new Response(null, { status: 204 }));
    const c = connect();
    await expect(c.done).resolves.toBeUndefined();
    expect(c.state).toBe('closed');
    expect(server.calls).toHaveLength(1);
  });

  it.each([401, 403, 404, 400])('%i: closed, done rejects with the status and the JSON body; reported too', async (status) => {
    const body = { statusCode: status, message: 'no' };
    server.then(json(status, body));
    const c = connect();
    const errors = errorsOf(c);
    const error = await c.done.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SseClientError);
    expect(error).toMatchObject({ kind: 'refused', status, body, retryIn: undefined });
    expect(errors).toEqual([error]);
    expect(c.state).toBe('closed');
    expect(server.calls).toHaveLength(1);
  });

  it('a 200 that is not text/event-stream: closed, done rejects (protocol)', async () => {
    server.then(() => new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    const c = connect();
    await expect(c.done).rejects.toMatchObject({ kind: 'protocol', status: 200, body: '<html>login</html>' });
  });

  it('network errors and 5xx: reported with retryIn, backing off (jitter bounds), then the stream opens and resets the count', async () => {
    server.then(refusedNetwork, refusedNetwork, json(500, { message: 'boom' }), json(502, {}));
    const c = connect({ retry: 4, maxRetryDelay: 20 });
    const errors = errorsOf(c);
    const seen = collect(c, 'message');
    await until(() => server.lives.length === 1, 'the fifth attempt to open');
    server.live.push('data: 1\n\n');
    await until(() => seen.length === 1, 'the event');
    expect(errors.map((e) => [e.kind, e.status])).toEqual([
      ['network', undefined],
      ['network', undefined],
      ['status', 500],
      ['status', 502],
    ]);
    // retry × 2^(n−1), capped at 20: [2,4], [4,8], [8,16], [10,20].
    const bounds = [
      [2, 4],
      [4, 8],
      [8, 16],
      [10, 20],
    ];
    errors.forEach((e, i) => {
      expect(e.retryIn).toBeGreaterThanOrEqual(bounds[i][0]);
      expect(e.retryIn).toBeLessThanOrEqual(bounds[i][1]);
    });
    expect(errors[2].body).toEqual({ message: 'boom' });
    // The event reset the count: the next failure starts over at [2, 4].
    server.then(refusedNetwork);
    server.live.end();
    await until(() => errors.length === 5, 'the next failure');
    expect(errors[4].retryIn).toBeLessThanOrEqual(4);
  });

  it('429 and 503 with Retry-After: the next request waits exactly that long (plus ≤ 10 %), not the backoff', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    jest.spyOn(Math, 'random').mockReturnValue(0);
    server.then(json(503, { message: 'full' }, { 'retry-after': '3' }), json(429, {}, { 'retry-after': '2' }));
    const c = connect();
    const errors = errorsOf(c);
    await jest.advanceTimersByTimeAsync(0);
    expect(errors.map((e) => [e.kind, e.status, e.retryIn])).toEqual([['status', 503, 3000]]);
    await jest.advanceTimersByTimeAsync(2999);
    expect(server.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(2);
    expect(errors.map((e) => [e.status, e.retryIn])).toEqual([
      [503, 3000],
      [429, 2000],
    ]);
    await jest.advanceTimersByTimeAsync(2000);
    expect(server.calls).toHaveLength(3);
    expect(c.state).toBe('open');
    jest.spyOn(Math, 'random').mockRestore();
  });

  it('the end event: its handlers run, then closed and done resolves with its data; nothing after it is delivered', async () => {
    server.then(sse('event: token\ndata: A\n\nevent: sse-end\nid: 9\ndata: {"channel":"runs/1","reason":"complete"}\n\nevent: token\ndata: late\n\n'));
    const c = connect();
    const tokens = collect(c, 'token');
    const ends = collect(c, 'sse-end');
    await expect(c.done).resolves.toEqual({ channel: 'runs/1', reason: 'complete' });
    expect(tokens).toEqual(['A']);
    expect(ends).toHaveLength(1);
    expect(c.state).toBe('closed');
    expect(server.calls).toHaveLength(1);
  });

  it('the close event "expired": reconnects at once with fresh headers and the last id; "revoked": closed, done rejects', async () => {
    let n = 0;
    server.then(sse('id: 4\ndata: 1\n\nevent: sse-close\ndata: {"reason":"expired"}\n\n'), sse('event: sse-close\ndata: {"reason":"revoked"}\n\n'));
    const c = connect({ retry: 60_000, headers: async () => ({ authorization: `t${++n}` }) });
    await expect(c.done).rejects.toMatchObject({ kind: 'revoked', body: { reason: 'revoked' } });
    expect(server.calls.map((call) => [call.headers.get('authorization'), call.headers.get('last-event-id')])).toEqual([
      ['t1', null],
      ['t2', '4'],
    ]);
  });

  it('event names renamed on the server: the client option events.end / events.accessEnd', async () => {
    server.then(sse('event: bye\ndata: {"reason":"expired"}\n\n'), sse('event: sse-end\ndata: {}\n\nevent: over\ndata: {"reason":"ended"}\n\n'));
    const c = connect({ retry: 60_000, events: { end: 'over', accessEnd: 'bye' } });
    const plain = collect(c, 'sse-end');
    await expect(c.done).resolves.toEqual({ reason: 'ended' });
    expect(server.calls).toHaveLength(2);
    expect(plain).toEqual([{}]); // an event of that name is just an event now
  });

  it('stall: nothing for stallTimeout (heartbeats count) → reported, dropped, reopened from the last id', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    const c = connect({ stallTimeout: 1000 });
    const errors = errorsOf(c);
    await jest.advanceTimersByTimeAsync(0);
    server.live.push('id: s1\ndata: 1\n\n');
    for (let i = 0; i < 5; i++) {
      await jest.advanceTimersByTimeAsync(900);
      server.live.push(':\n\n'); // a heartbeat
    }
    expect(errors).toEqual([]);
    expect(server.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(errors.map((e) => e.kind)).toEqual(['stalled']);
    expect(server.lives[0].gone).toBe(true);
    await jest.advanceTimersByTimeAsync(errors[0].retryIn!);
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1].headers.get('last-event-id')).toBe('s1');
  });

  it('stall while waiting for the response headers counts too', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    server.then((call) => new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))));
    const c = connect({ stallTimeout: 500 });
    const errors = errorsOf(c);
    await jest.advanceTimersByTimeAsync(500);
    expect(errors.map((e) => e.kind)).toEqual(['stalled']);
  });

  it('a 10 MB line: dropped after reading about maxEventBytes of it (memory stays bounded), reported, retried from the last id', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let pulled = 0;
    let cancelled = false;
    server.then(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start: (c) => c.enqueue(new TextEncoder().encode('id: ok\ndata: fine\n\ndata: ')),
            pull: (c) => {
              if (pulled++ < 160) c.enqueue(chunk); // 10 MiB, never ending its line
            },
            cancel: () => void (cancelled = true),
          }),
          { status: 200, headers: { 'content-type': 'text/event-stream' } },
        ),
    );
    const c = connect({ maxEventBytes: 1024 * 1024, retry: 1 });
    const errors = errorsOf(c);
    const seen = collect(c, 'message');
    await until(() => server.calls.length === 2, 'the reconnect');
    expect(seen).toEqual(['fine']);
    expect(errors.map((e) => e.kind)).toEqual(['too-large']);
    expect(errors[0].message).toMatch(/line over maxEventBytes \(1048576\)/);
    expect(cancelled).toBe(true);
    // 16 chunks of 64 KiB make 1 MiB; a stream may pull a chunk or two ahead.
    expect(pulled).toBeLessThanOrEqual(20);
    expect(server.calls[1].headers.get('last-event-id')).toBe('ok');
  });

  it('malformed lines are reported as parse errors; the well-formed events around them arrive', async () => {
    const c = connect();
    const errors = errorsOf(c);
    const seen = collect(c, 'message');
    await until(() => server.lives.length === 1, 'the stream');
    server.live.push('data: 1\n\nbogus: field\nretry: soon\ndata: 2\n\nno colon at all\ndata: 3\r\n\r\n');
    await until(() => seen.length === 3, 'three events');
    expect(seen).toEqual([1, 2, 3]);
    expect(errors.map((e) => e.kind)).toEqual(['parse', 'parse', 'parse']);
    expect(errors.every((e) => e.retryIn === undefined)).toBe(true);
    expect(c.state).toBe('open');
  });

  it('a parse option that throws: reported as parse, the event not handed on; the end event still ends the client', async () => {
    server.then(sse('data: 1\n\nevent: sse-end\ndata: {"channel":"c","reason":"complete"}\n\n'));
    const c = connect({
      parse: () => {
        throw new Error('no parse');
      },
    });
    const errors = errorsOf(c);
    const seen = collect(c, 'message');
    await expect(c.done).resolves.toEqual({ channel: 'c', reason: 'complete' });
    expect(seen).toEqual([]);
    expect(errors.map((e) => [e.kind, e.body])).toEqual([
      ['parse', '1'],
      ['parse', '{"channel":"c","reason":"complete"}'],
    ]);
  });

  it('a handler that throws is reported (handler); the other handlers and the stream go on', async () => {
    const c = connect();
    const errors = errorsOf(c);
    c.on('message', () => {
      throw new Error('bad handler');
    });
    const seen = collect(c, 'message');
    await until(() => server.lives.length === 1, 'the stream');
    server.live.push('data: 1\n\ndata: 2\n\n');
    await until(() => seen.length === 2, 'both events');
    expect(errors.map((e) => [e.kind, (e.cause as Error).message])).toEqual([
      ['handler', 'bad handler'],
      ['handler', 'bad handler'],
    ]);
  });

  it('off() stops a handler', async () => {
    const c = connect();
    const seen: unknown[] = [];
    const off = c.on('message', (data) => seen.push(data));
    const all = collect(c, 'message');
    await until(() => server.lives.length === 1, 'the stream');
    server.live.push('data: 1\n\n');
    await until(() => all.length === 1, 'one');
    off();
    server.live.push('data: 2\n\n');
    await until(() => all.length === 2, 'two');
    expect(seen).toEqual([1]);
  });

  it('close() while waiting to reconnect: done resolves, no other request, the wait is cancelled', async () => {
    server.then(refusedNetwork);
    const c = connect({ retry: 60_000 });
    const errors = errorsOf(c);
    await until(() => errors.length === 1, 'the failure');
    c.close();
    await expect(c.done).resolves.toBeUndefined();
    expect(c.state).toBe('closed');
    expect(server.calls).toHaveLength(1);
  });

  it('close() while open aborts the request', async () => {
    const c = connect();
    await until(() => server.lives.length === 1, 'the stream');
    c.close();
    expect(server.live.gone).toBe(true);
    expect(c.state).toBe('closed');
  });

  it('reconnect(): a new request at once, with fresh headers and the last id', async () => {
    let n = 0;
    const c = connect({ retry: 60_000, headers: () => ({ 'x-token': String(++n) }) });
    await until(() => server.lives.length === 1, 'the stream');
    server.live.push('id: 3\ndata: 1\n\n');
    await until(() => c.lastEventId === '3', 'the event');
    c.reconnect();
    await until(() => server.calls.length === 2, 'the new request');
    expect(server.lives[0].gone).toBe(true);
    expect([server.calls[1].headers.get('x-token'), server.calls[1].headers.get('last-event-id')]).toEqual(['2', '3']);
  });

  it('a headers function that throws: reported as request, retried', async () => {
    let n = 0;
    const c = connect({
      headers: () => {
        if (++n === 1) throw new Error('no token yet');
        return { 'x-token': 'ok' };
      },
    });
    const errors = errorsOf(c);
    await until(() => server.calls.length === 1, 'the request once the headers work');
    expect(errors.map((e) => e.kind)).toEqual(['request']);
    expect(server.calls[0].headers.get('x-token')).toBe('ok');
  });

  it('a relative URL in Node is refused at once, with the fix', () => {
    expect(() => new SseClient('/rooms/42')).toThrow(/give a full one such as http:\/\//);
  });
});

describe('SseClient.channel() (unit: a stream of many channels)', () => {
  type Channels = {
    'rooms/:id': { message: { text: string }; typing: { user: string } };
    news: { message: string };
  };
  let server: FakeServer;
  let client: SseClient<Record<string, unknown>, Channels>;

  beforeEach(async () => {
    server = new FakeServer();
    client = new SseClient<Record<string, unknown>, Channels>('http://sse.test/events', { fetch: server.fetch, retry: 1, stallTimeout: 0 });
    await until(() => server.lives.length === 1, 'the stream');
  });
  afterEach(() => client.close());

  it('plain events are the channel’s message, named ones by their name; each channel only its own', async () => {
    const room = client.channel('rooms/42');
    const seen: unknown[] = [];
    room.on((data, meta) => seen.push(['message', data.text, meta.channel, meta.id]));
    room.on('typing', (data) => seen.push(['typing', data.user]));
    const news: unknown[] = [];
    client.channel('news').on('message', (data) => news.push(data));
    expect(client.channel('rooms/42')).toBe(room);
    server.live.push(
      'event: rooms/42\nid: e.1\ndata: {"text":"hi"}\n\nevent: news\nid: e.2\ndata: n1\n\nevent: rooms/42#typing\nid: e.3\ndata: {"user":"ann"}\n\nevent: rooms/7\nid: e.4\ndata: {"text":"other"}\n\n',
    );
    await until(() => client.lastEventId === 'e.4', 'every event');
    expect(seen).toEqual([
      ['message', 'hi', 'rooms/42', 'e.1'],
      ['typing', 'ann'],
    ]);
    expect(news).toEqual(['n1']);
  });

  it('a channel’s end resolves its done — the client and the other channels go on; its reset and presence events by name', async () => {
    const run = client.channel('rooms/1');
    const other = client.channel('news');
    const library: unknown[] = [];
    run.on('sse-reset', (data) => library.push(['reset', data.reason]));
    run.on('sse-join', (data) => library.push(['join', data.identity]));
    server.live.push(
      'event: rooms/1#sse-reset\ndata: {"reason":"history-exceeded","lastEventId":"x","channel":"rooms/1"}\n\nevent: rooms/1#sse-join\ndata: {"identity":"bob"}\n\nevent: rooms/1#sse-end\nid: e.9\ndata: {"channel":"rooms/1","reason":"complete"}\n\n',
    );
    await expect(run.done).resolves.toEqual({ channel: 'rooms/1', reason: 'complete' });
    expect(library).toEqual([
      ['reset', 'history-exceeded'],
      ['join', 'bob'],
    ]);
    expect(client.state).toBe('open');
    const news: unknown[] = [];
    other.on((data) => news.push(data));
    server.live.push('event: news\ndata: still here\n\n');
    await until(() => news.length === 1, 'the other channel');
    client.close();
    await expect(other.done).resolves.toBeUndefined();
  });

  it('a channel name with # in it: the whole event name first, then the longest channel listened to', async () => {
    const odd = new SseClient('http://sse.test/events', { fetch: server.fetch, retry: 1, stallTimeout: 0 });
    await until(() => server.lives.length === 2, 'the second stream');
    const seen: unknown[] = [];
    odd.channel('tag#1').on((data) => seen.push(['tag#1', data]));
    odd.channel('tag').on('1', (data) => seen.push(['tag/1', data]));
    odd.channel('tag#1').on('x', (data) => seen.push(['tag#1/x', data]));
    server.live.push('event: tag#1\ndata: a\n\nevent: tag#1#x\ndata: b\n\n');
    await until(() => seen.length === 2, 'both');
    expect(seen).toEqual([
      ['tag#1', 'a'],
      ['tag#1/x', 'b'],
    ]);
    odd.close();
  });
});

describe('SseClient types (checked by tsc: each @ts-expect-error must be an error)', () => {
  type Chat = { text: string };
  type Channels = { 'rooms/:id': { message: Chat; typing: { user: string } }; 'users/:id/inbox': { message: number } };

  it('types event data by name, the library events by default, and channels by their templates', () => {
    const typed = (client: SseClient<{ chat: Chat }, Channels>) => {
      client.on('chat', (data) => data.text.toUpperCase());
      client.on('sse-end', (data) => data.reason satisfies 'complete' | 'error' | 'ended');
      client.on('sse-reset', (data) => data.lastEventId.length);
      // @ts-expect-error an event the map does not have
      client.on('chta', () => {});
      // @ts-expect-error the data of chat is a Chat
      client.on('chat', (data: number) => data);
      client.channel('rooms/42').on((data) => data.text);
      client.channel('rooms/42').on('typing', (data) => data.user);
      client.channel('rooms/42').on('sse-join', (data) => data.identity);
      client.channel('users/7/inbox').on((data) => data.toFixed());
      // @ts-expect-error no template names it
      client.channel('nowhere/1');
      // @ts-expect-error a channel's plain events are Chat
      client.channel('rooms/42').on((data: string) => data);
      return client.done.then((end) => end?.channel);
    };
    const untyped = (client: SseClient) => {
      client.on('anything', (data) => data);
      client.channel('any/channel').on('x', (data) => data);
    };
    expect([typeof typed, typeof untyped]).toEqual(['function', 'function']);
  });
});

/** Web Locks, as a browser grants them: one holder per name, the others wait in order; a waiting request can be aborted. */
class FakeLocks {
  private readonly held = new Set<string>();
  private readonly waiting = new Map<string, { callback: () => Promise<void>; done: (error?: unknown) => void }[]>();

  request(name: string, { signal }: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry = { callback, done: (error?: unknown) => (error ? reject(error) : resolve(undefined)) };
      const queue = this.waiting.get(name) ?? [];
      this.waiting.set(name, queue);
      queue.push(entry);
      signal.addEventListener('abort', () => {
        const at = queue.indexOf(entry);
        if (at !== -1) {
          queue.splice(at, 1);
          entry.done(new DOMException('aborted', 'AbortError'));
        }
      });
      this.grant(name);
    });
  }

  private grant(name: string): void {
    const next = this.waiting.get(name)?.shift();
    if (!next || this.held.has(name)) {
      if (next) this.waiting.get(name)!.unshift(next);
      return;
    }
    this.held.add(name);
    void next.callback().then(() => {
      this.held.delete(name);
      next.done();
      this.grant(name);
    });
  }
}

/** BroadcastChannel: a message reaches every other open channel of the name, later, in order, cloned. */
class FakeBroadcastChannel {
  static readonly open = new Map<string, Set<FakeBroadcastChannel>>();
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(private readonly name: string) {
    const peers = FakeBroadcastChannel.open.get(name) ?? new Set();
    FakeBroadcastChannel.open.set(name, peers);
    peers.add(this);
  }

  postMessage(message: unknown): void {
    for (const peer of FakeBroadcastChannel.open.get(this.name) ?? []) {
      if (peer !== this) {
        const data = structuredClone(message);
        setTimeout(() => FakeBroadcastChannel.open.get(this.name)?.has(peer) && peer.onmessage?.({ data }));
      }
    }
  }

  close(): void {
    FakeBroadcastChannel.open.get(this.name)?.delete(this);
  }
}

describe("SseClient share: 'tabs' (unit, with fakes of Web Locks and BroadcastChannel)", () => {
  let server: FakeServer;
  let tabs: SseClient[];
  const realChannel = globalThis.BroadcastChannel;
  const tab = (options: SseClientOptions = {}, url = 'http://sse.test/rooms/42') => {
    const client = new SseClient(url, { fetch: server.fetch, retry: 1, stallTimeout: 0, share: 'tabs', headers: { authorization: 'Bearer same' }, ...options });
    tabs.push(client);
    return client;
  };
  const received = (client: SseClient) => {
    const seen: unknown[] = [];
    client.on('message', (data) => seen.push(data));
    return seen;
  };

  beforeEach(() => {
    server = new FakeServer();
    tabs = [];
    Object.defineProperty(globalThis, 'navigator', { value: { locks: new FakeLocks() }, configurable: true, writable: true });
    globalThis.BroadcastChannel = FakeBroadcastChannel as unknown as typeof BroadcastChannel;
  });
  afterEach(() => {
    tabs.forEach((client) => client.close());
    FakeBroadcastChannel.open.clear();
    delete (globalThis as { navigator?: unknown }).navigator;
    globalThis.BroadcastChannel = realChannel;
  });

  it('three tabs, one request: every tab gets every event once, in order, and the others mirror the leader’s state', async () => {
    const [a, b, c] = [tab(), tab(), tab()];
    const seen = [a, b, c].map(received);
    await until(() => server.lives.length === 1, 'the leader to connect');
    await until(() => b.state === 'open' && c.state === 'open', 'the followers to hear it is open');
    server.live.push('id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n');
    await until(() => seen.every((s) => s.length === 2), 'every tab');
    server.live.push('id: 3\ndata: 3\n\n');
    await until(() => seen.every((s) => s.length === 3), 'every tab again');
    expect(seen).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(server.calls).toHaveLength(1);
    expect([a, b, c].map((t) => t.lastEventId)).toEqual(['3', '3', '3']);
  });

  it('the leader tab closes mid-stream: another takes over from the last id any tab saw; each remaining tab gets every event exactly once', async () => {
    const [a, b, c] = [tab(), tab(), tab()];
    const seen = [a, b, c].map(received);
    await until(() => server.lives.length === 1, 'the leader');
    server.live.push('id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n');
    await until(() => seen.every((s) => s.length === 2), 'every tab');
    a.close();
    expect(server.lives[0].gone).toBe(true);
    await until(() => server.lives.length === 2, 'another tab to connect');
    expect(server.calls[1].headers.get('last-event-id')).toBe('2');
    server.live.push('id: 3\ndata: 3\n\n');
    await until(() => seen[1].length === 3 && seen[2].length === 3, 'the others');
    expect(seen).toEqual([
      [1, 2],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(server.calls).toHaveLength(2);
  });

  it('at a take-over, an event that comes both from the old leader and the new one’s resume is shown once in each tab', async () => {
    const [a, b, c] = [tab(), tab(), tab()];
    const seen = [a, b, c].map(received);
    await until(() => server.lives.length === 1, 'the leader');
    server.live.push('id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n');
    await until(() => seen.every((s) => s.length === 2), 'every tab');
    a.close();
    await until(() => server.lives.length === 2, 'the take-over');
    // A server that resends from an earlier point (at least once) — or the old leader's last events still on their way.
    server.live.push('id: 2\ndata: 2\n\nid: 3\ndata: 3\n\n');
    await until(() => seen[1].length === 3 && seen[2].length === 3, 'the others');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.slice(1)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('a tab that takes over a run reconnects on reconnectUrl with GET, not with the POST again', async () => {
    const options = { method: 'POST', body: { id: 'r' }, reconnectUrl: 'http://sse.test/runs/r' };
    const [a, b] = [tab(options, 'http://sse.test/chat'), tab(options, 'http://sse.test/chat')];
    const seen = received(b);
    await until(() => server.lives.length === 1, 'the POST');
    server.live.push('id: t1\ndata: "A"\n\n');
    await until(() => seen.length === 1, 'the follower');
    a.close();
    await until(() => server.calls.length === 2, 'the take-over');
    expect([server.calls[1].method, server.calls[1].url, server.calls[1].headers.get('last-event-id')]).toEqual(['GET', 'http://sse.test/runs/r', 't1']);
  });

  it('tabs with a different URL or different headers do not share', async () => {
    tab();
    tab({}, 'http://sse.test/rooms/43');
    tab({ headers: { authorization: 'Bearer other' } });
    tab({ headers: async () => ({ authorization: 'Bearer same' }) }); // the same once resolved: shares with the first
    await until(() => server.calls.length === 3, 'three connections');
    expect(server.calls.map((call) => [call.url, call.headers.get('authorization')])).toEqual(
      expect.arrayContaining([
        ['http://sse.test/rooms/42', 'Bearer same'],
        ['http://sse.test/rooms/43', 'Bearer same'],
        ['http://sse.test/rooms/42', 'Bearer other'],
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.calls).toHaveLength(3);
  });

  it('the end reaches every tab: every done resolves with its data, and no tab connects again', async () => {
    const [a, b, c] = [tab(), tab(), tab()];
    await until(() => server.lives.length === 1, 'the leader');
    server.live.push('event: sse-end\nid: 9\ndata: {"channel":"runs/1","reason":"complete"}\n\n');
    const ends = await Promise.all([a.done, b.done, c.done]);
    expect(ends).toEqual(Array(3).fill({ channel: 'runs/1', reason: 'complete' }));
    expect([a, b, c].map((t) => t.state)).toEqual(['closed', 'closed', 'closed']);
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the leader's hold of the lock
    expect(server.calls).toHaveLength(1);
  });

  it('a refusal reaches every tab: every done rejects with the status and body', async () => {
    server.then(json(401, { message: 'sign in' }));
    const [a, b] = [tab(), tab()];
    const errors = await Promise.all([a.done, b.done].map((done) => done.then(() => undefined, (e: unknown) => e)));
    expect(errors.map((e) => [(e as SseClientError).kind, (e as SseClientError).status, (e as SseClientError).body])).toEqual([
      ['refused', 401, { message: 'sign in' }],
      ['refused', 401, { message: 'sign in' }],
    ]);
    expect(errors[1]).toBeInstanceOf(SseClientError);
  });

  it('errors of the leader are reported in every tab; a follower’s reconnect() makes the leader reconnect', async () => {
    const [a, b] = [tab(), tab()];
    const errors: string[] = [];
    b.onError((e) => errors.push(e.kind));
    await until(() => server.lives.length === 1 && b.state === 'open', 'the leader, open');
    server.live.push('id: 5\ndata: 1\n\nbogus: x\n');
    await until(() => errors.length === 1, 'the parse error in the follower');
    b.reconnect();
    await until(() => server.calls.length === 2, 'the leader to reconnect');
    expect(server.calls[1].headers.get('last-event-id')).toBe('5');
    expect(errors).toEqual(['parse']);
    expect(a.state).not.toBe('closed');
  });

  it('without navigator.locks, every tab connects on its own', async () => {
    delete (globalThis as { navigator?: unknown }).navigator;
    tab();
    tab();
    await until(() => server.calls.length === 2, 'two connections');
  });
});
