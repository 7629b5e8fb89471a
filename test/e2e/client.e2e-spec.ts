import { Controller, ForbiddenException, Query, UseGuards } from '@nestjs/common';
import { SseClient, type SseClientError, type SseClientOptions } from '../../lib/client/index.js';
import { SseBroadcaster, SseChannel, SseChannels, SseModule } from '../../lib/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { expiresAt, identify, TokenGuard } from '../src/identity.controller.js';
import { generations, RunsController } from '../src/runs.controller.js';
import { until } from '../src/until.js';

/** `Authorization: Bearer <user>.<exp ms>`, what TokenGuard reads (a user of letters a–z only). */
const bearer = (user: string, ttl = 60_000) => ({ authorization: `Bearer ${user}.${Date.now() + ttl}` });

/** A promise the test opens when it is ready (e.g. a token refresh held while events are published). */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

@UseGuards(TokenGuard)
@Controller()
class ClientController {
  @SseChannel('rooms/:id', { event: 'chat', retry: 20 })
  room(): void {}

  @SseChannel('private/:id')
  private(): void {
    throw new ForbiddenException('not your room');
  }

  /** One stream per user: the second gets 429 with Retry-After (1 s). */
  @SseChannel('solo/:id', { maxClientsPerIdentity: 1, retry: 20 })
  solo(): void {}

  @SseChannel('beating/:id', { heartbeat: 30 })
  beating(): void {}

  @SseChannels('many', { retry: 20 })
  many(@Query('room') rooms: string[] | string = []) {
    return ['news', ...[rooms].flat().map((id) => `rooms/${id}`)];
  }
}

type Chat = { text: string };
type Channels = { news: { message: string }; 'rooms/:id': { message: string; chat: Chat } };

describe.each(PLATFORMS)('nestjs-sse-channel/client against the server on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const clients: SseClient<never, never>[] = [];
  const open = <E extends Record<string, unknown> = Record<string, unknown>, C extends Record<string, Record<string, unknown>> = Record<string, Record<string, unknown>>>(
    path: string,
    options: SseClientOptions = {},
  ) => {
    const client = new SseClient<E, C>(`${t.url}${path}`, { stallTimeout: 0, retry: 20, ...options });
    clients.push(client as unknown as SseClient<never, never>);
    return client;
  };
  const errorsOf = (client: { onError(listener: (error: SseClientError) => void): unknown }) => {
    const errors: SseClientError[] = [];
    client.onError((error) => errors.push(error));
    return errors;
  };
  const room = (name: string) => `rooms/${platform}-${name}`;

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, identities: { identify, expiresAt }, channels: { 'rooms/:id': { size: 3 } } })],
      controllers: [ClientController, RunsController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  afterAll(() => t.close());

  it('receives typed, JSON-parsed events with their ids; a cut resumes with exactly what was missed', async () => {
    const client = open<{ chat: Chat }>(`/${room('cut')}`);
    const seen: [string, string | undefined][] = [];
    client.on('chat', (data, meta) => seen.push([data.text, meta.id]));
    const errors = errorsOf(client);
    await until(() => broadcaster.clientCount(room('cut')) === 1 && client.state === 'open', 'the client');
    for (const text of ['a', 'b']) {
      await broadcaster.publish(room('cut'), { text });
    }
    await until(() => seen.length === 2, 'two events');
    broadcaster.close(room('cut')); // the server cuts the stream
    for (const text of ['c', 'd']) {
      await broadcaster.publish(room('cut'), { text }); // while it is away (or reconnecting)
    }
    await until(() => seen.length === 4 && broadcaster.clientCount(room('cut')) === 1, 'the resume');
    await broadcaster.publish(room('cut'), { text: 'e' });
    await until(() => seen.length === 5, 'the live event');
    expect(seen.map(([text]) => text)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new Set(seen.map(([, id]) => id)).size).toBe(5);
    expect(broadcaster.stats()[room('cut')].resets).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a run: POST starts it, a cut resumes on the GET route from the last id, done resolves with the end', async () => {
    const id = `${platform}-client-run`;
    const client = open(`/chat`, { method: 'POST', body: { id }, reconnectUrl: `${t.url}/runs/${id}` });
    const tokens: unknown[] = [];
    client.on('token', (data) => tokens.push(data));
    await until(() => broadcaster.clientCount(`runs/${id}`) === 1, 'the POST stream');
    const generation = generations.get(id)!;
    ['A', 'B'].forEach((token) => generation.tokens.next(token));
    await until(() => tokens.length === 2, 'two tokens');
    broadcaster.close(`runs/${id}`);
    ['C', 'D'].forEach((token) => generation.tokens.next(token));
    await until(() => tokens.length === 4 && broadcaster.clientCount(`runs/${id}`) === 1, 'the resume on GET');
    generation.tokens.next('E');
    generation.tokens.complete();
    await expect(client.done).resolves.toEqual({ channel: `runs/${id}`, reason: 'complete' });
    expect(tokens).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(client.state).toBe('closed');
    expect(generation.subscribed).toBe(1);
    // Back later with the end's id: 204, done resolves with nothing.
    const late = open(`/runs/${id}`, { lastEventId: client.lastEventId });
    await expect(late.done).resolves.toBeUndefined();
    expect(late.state).toBe('closed');
  });

  it('401 and 403 (guard, handler) and 404: closed, done rejects with the status and the JSON body', async () => {
    const cases = [
      ['/rooms/x', { authorization: 'Bearer not-a-token' }, 401, 'Bad token'],
      ['/private/x', undefined, 403, 'not your room'],
      ['/nowhere', undefined, 404, undefined],
    ] as const;
    for (const [path, headers, status, message] of cases) {
      const client = open(path, { headers });
      const errors = errorsOf(client);
      const error = (await client.done.then(
        () => undefined,
        (e: unknown) => e,
      )) as SseClientError;
      expect([error.kind, error.status]).toEqual(['refused', status]);
      expect(error.body).toMatchObject({ statusCode: status, ...(message ? { message } : {}) });
      expect(client.state).toBe('closed');
      expect(errors).toEqual([error]);
    }
  });

  it('token refresh: "expired" reconnects with fresh headers and the last id; events published meanwhile arrive once', async () => {
    const refresh = gate();
    let asked = 0;
    const client = open<{ chat: Chat }>(`/${room('token')}`, {
      headers: async () => {
        if (++asked === 1) {
          return bearer('ann', 300); // expires soon
        }
        await refresh.wait; // the refresh takes its time
        return bearer('ann');
      },
    });
    const seen: string[] = [];
    client.on('chat', (data) => seen.push(data.text));
    const closes: unknown[] = [];
    client.on('sse-close', (data) => closes.push(data));
    const errors = errorsOf(client);
    await until(() => broadcaster.clientCount(room('token')) === 1, 'the client');
    await broadcaster.publish(room('token'), { text: 'before' });
    await until(() => asked === 2, 'the expiry and the refresh to start');
    expect(closes).toEqual([{ reason: 'expired' }]);
    await broadcaster.publish(room('token'), { text: 'while refreshing' });
    refresh.open();
    await until(() => seen.length === 2, 'the missed event');
    await broadcaster.publish(room('token'), { text: 'after' });
    await until(() => seen.length === 3, 'the live event');
    expect(seen).toEqual(['before', 'while refreshing', 'after']);
    expect(errors).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('revoked (disconnect()): closed, done rejects with kind revoked', async () => {
    const client = open(`/${room('revoked')}`, { headers: bearer('revoked') });
    await until(() => broadcaster.clientCount(room('revoked')) === 1, 'the client');
    await broadcaster.disconnect('revoked');
    await expect(client.done).rejects.toMatchObject({ kind: 'revoked', body: { reason: 'revoked' } });
    expect(client.state).toBe('closed');
    await broadcaster.publish(room('revoked'), 'nobody');
    expect(broadcaster.clientCount(room('revoked'))).toBe(0);
  });

  it('429 with Retry-After: reported with retryIn from the header; the client gets in once a place frees', async () => {
    const headers = bearer(`solo${platform}`);
    const first = open(`/solo/${platform}`, { headers });
    await until(() => broadcaster.clientCount(`solo/${platform}`) === 1, 'the first stream');
    const second = open(`/solo/${platform}`, { headers });
    const errors = errorsOf(second);
    await until(() => errors.length === 1, 'the refusal');
    expect([errors[0].kind, errors[0].status]).toEqual(['status', 429]);
    expect(errors[0].retryIn).toBeGreaterThanOrEqual(1000); // Retry-After: 1
    expect(errors[0].retryIn).toBeLessThanOrEqual(1100);
    expect(errors[0].body).toMatchObject({ statusCode: 429 });
    first.close();
    await until(() => second.state === 'open', 'the retry to get in');
    expect(errors).toHaveLength(1);
  });

  it('heartbeats keep a quiet stream alive; a stream without them stalls and resumes from its cursor', async () => {
    const beating = open(`/beating/${platform}`, { stallTimeout: 300 });
    const beatingErrors = errorsOf(beating);
    const quiet = open(`/${room('quiet')}`, { stallTimeout: 300 });
    const quietErrors = errorsOf(quiet);
    const seen: unknown[] = [];
    quiet.on('chat', (data) => seen.push(data));
    await until(() => broadcaster.clientCount(room('quiet')) === 1, 'the quiet client');
    await broadcaster.publish(room('quiet'), 'one');
    await until(() => quietErrors.length === 1, 'the stall');
    expect(quietErrors[0].kind).toBe('stalled');
    await broadcaster.publish(room('quiet'), 'two'); // while it reconnects, or after
    await until(() => seen.length === 2, 'the resume');
    expect(seen).toEqual(['one', 'two']);
    // Over the same time, the stream with heartbeats every 30 ms never stalled.
    expect(beating.state).toBe('open');
    expect(beatingErrors).toEqual([]);
  });

  describe('@SseChannels(): channel views', () => {
    it('plain and named events per channel; a reconnect resumes every channel from the one cursor; a channel’s end leaves the rest open', async () => {
      const hold = gate();
      let asked = 0;
      const client = open<Record<string, unknown>, Channels>(`/many?room=${platform}1&room=${platform}2`, {
        headers: async () => {
          if (++asked > 1) await hold.wait;
          return {};
        },
      });
      const seen: unknown[] = [];
      client.channel('news').on((data) => seen.push(['news', data]));
      const first = client.channel(`rooms/${platform}1`);
      first.on((data) => seen.push(['1', data]));
      first.on('chat', (data, meta) => seen.push(['1#chat', data.text, meta.channel]));
      client.channel(`rooms/${platform}2`).on((data) => seen.push(['2', data]));
      await until(() => broadcaster.clientCount(`rooms/${platform}2`) === 1, 'the stream');
      await broadcaster.publish('news', 'n1');
      await broadcaster.publish(`rooms/${platform}1`, { text: 'hi' }, { event: 'chat' });
      await until(() => seen.length === 2, 'two events');
      client.reconnect();
      await until(() => asked === 2, 'the reconnect to start');
      await broadcaster.publish(`rooms/${platform}2`, 'b1');
      await broadcaster.publish('news', 'n2');
      await broadcaster.publish(`rooms/${platform}1`, 'a1');
      hold.open();
      await until(() => seen.length === 5, 'the missed events');
      const ended = await broadcaster.end(`rooms/${platform}1`);
      expect(ended).toBeDefined();
      await expect(first.done).resolves.toEqual({ channel: `rooms/${platform}1`, reason: 'ended' });
      await broadcaster.publish('news', 'n3');
      await until(() => seen.length === 6, 'news after the end');
      expect(seen).toEqual([
        ['news', 'n1'],
        ['1#chat', 'hi', `rooms/${platform}1`],
        ['2', 'b1'],
        ['news', 'n2'],
        ['1', 'a1'],
        ['news', 'n3'],
      ]);
      expect(client.state).toBe('open');
    });

    it('a channel whose missed events fell out of its history gets its own sse-reset', async () => {
      const hold = gate();
      let asked = 0;
      const client = open<Record<string, unknown>, Channels>(`/many?room=${platform}r`, {
        headers: async () => {
          if (++asked > 1) await hold.wait;
          return {};
        },
      });
      const resets: unknown[] = [];
      const news: unknown[] = [];
      client.channel(`rooms/${platform}r`).on('sse-reset', (data) => resets.push(data.reason));
      client.channel('news').on((data) => news.push(data));
      await until(() => broadcaster.clientCount(`rooms/${platform}r`) === 1, 'the stream');
      await broadcaster.publish('news', 'mark');
      await until(() => news.length === 1, 'a cursor');
      client.reconnect();
      await until(() => asked === 2, 'the reconnect to start');
      for (const data of ['1', '2', '3', '4']) {
        await broadcaster.publish(`rooms/${platform}r`, data); // the history keeps 3
      }
      hold.open();
      await until(() => resets.length === 1, 'the reset');
      expect(resets).toEqual(['history-exceeded']);
    });
  });
});

describe.each(PLATFORMS)('nestjs-sse-channel/client with renamed events on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, identities: { identify }, events: { end: 'run-end', accessEnd: 'access-end' } })],
      controllers: [ClientController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('events.end closes the client with the end data; events.accessEnd "revoked" rejects done', async () => {
    const names = { end: 'run-end', accessEnd: 'access-end' };
    const ending = new SseClient(`${t.url}/rooms/renamed-end`, { events: names, stallTimeout: 0 });
    const revoked = new SseClient(`${t.url}/rooms/renamed-revoked`, { events: names, stallTimeout: 0, headers: bearer('renamed') });
    try {
      await until(() => broadcaster.clientCount('rooms/renamed-end') === 1 && broadcaster.clientCount('rooms/renamed-revoked') === 1, 'both clients');
      await broadcaster.end('rooms/renamed-end');
      await expect(ending.done).resolves.toEqual({ channel: 'rooms/renamed-end', reason: 'ended' });
      await broadcaster.disconnect('renamed');
      await expect(revoked.done).rejects.toMatchObject({ kind: 'revoked' });
    } finally {
      ending.close();
      revoked.close();
    }
  });
});
