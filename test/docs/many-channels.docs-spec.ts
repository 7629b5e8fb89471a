import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource, type EventSourceFetchInit } from 'eventsource';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { AppModule } from '../../docs/examples/many-channels/app.module.js';
import { EventsPage } from '../../docs/examples/many-channels/page.js';
import { until } from '../src/until.js';

/** What a browser signed in as `user` sends: its cookie on every request; each reconnect's Last-Event-ID is recorded. */
class Browser {
  /** The Last-Event-ID of each connection the EventSource made (undefined for the first). */
  readonly connections: (string | undefined)[] = [];
  /** While set, a reconnect waits for it: the client is away for as long as the test says. */
  private away: Promise<void> | undefined;
  private comeBack: (() => void) | undefined;
  private cursor: string | undefined;

  constructor(readonly user: string) {}

  /** The EventSource the page's code gets: the `eventsource` package's, as a browser's would behave. */
  get EventSource(): typeof globalThis.EventSource {
    const connect = (input: string | URL, init: EventSourceFetchInit) => this.connect(input, init);
    return class extends EventSource {
      constructor(url: string | URL) {
        super(url, { fetch: connect });
      }
    } as unknown as typeof globalThis.EventSource;
  }

  private async connect(input: string | URL, init: EventSourceFetchInit): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers, cookie: `user=${this.user}` };
    if (this.connections.length > 0) {
      await this.away;
      if (this.cursor !== undefined) headers['Last-Event-ID'] = this.cursor;
    }
    this.connections.push(headers['Last-Event-ID']);
    return fetch(input, { ...init, headers });
  }

  /** Opens the page's EventsPage as this user. */
  open(base: string): EventsPage {
    const saved = globalThis.EventSource;
    globalThis.EventSource = this.EventSource;
    try {
      return new EventsPage(base);
    } finally {
      globalThis.EventSource = saved;
    }
  }

  /** The client goes away; with `cursor`, it comes back with that Last-Event-ID instead of its own. */
  leave({ cursor }: { cursor?: string } = {}): void {
    this.away = new Promise((resolve) => (this.comeBack = resolve));
    this.cursor = cursor;
  }

  back(): void {
    this.comeBack?.();
    this.away = undefined;
  }
}

/** Every frame the page gets, as [channel, data], and the channels it was told to reload. */
function recordInto(page: EventsPage, channels: string[]) {
  const seen: [string, unknown][] = [];
  const reloaded: string[] = [];
  for (const channel of channels) {
    page.listen(channel, { show: (data) => seen.push([channel, data]), reload: () => reloaded.push(channel) });
  }
  return { seen, reloaded };
}

// The many-channels guide's example (docs/examples/many-channels/): the page's
// EventsPage on a real EventSource, one connection for news and the user's rooms.
describe.each(['express', 'fastify'] as const)('many channels on one connection, on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  let broadcaster: SseBroadcaster;

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    broadcaster = app.get(SseBroadcaster);
  });
  afterAll(() => app?.close());

  const as = (user: string) => ({ cookie: `user=${user}` });
  const post = (user: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { ...as(user), 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const say = async (user: string, room: string, text: string) => {
    const response = await post(user, `/rooms/${room}/messages`, { text });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  it('without a session: 401, before any SSE byte', async () => {
    const response = await fetch(`${url}/events`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it("one stream carries news and the user's rooms, each frame named by its channel, in publish order", async () => {
    for (const room of ['1', '2']) expect((await post('ada', `/rooms/${room}/members`)).status).toBe(201);
    expect((await post('bob', '/rooms/3/members')).status).toBe(201);
    const browser = new Browser('ada');
    const page = browser.open(url);
    const { seen } = recordInto(page, ['news', 'rooms/1', 'rooms/2', 'rooms/3']);
    try {
      await until(() => broadcaster.clientCount('rooms/2') === 1, "ada's stream");
      await broadcaster.publish('news', { title: 'v2 is out' });
      await say('ada', '1', 'hi room 1');
      await say('bob', '3', 'not for ada');
      await say('ada', '2', 'hi room 2');
      await until(() => seen.length === 3, 'three frames');
      expect(seen).toEqual([
        ['news', { title: 'v2 is out' }],
        ['rooms/1', { from: 'ada', text: 'hi room 1' }],
        ['rooms/2', { from: 'ada', text: 'hi room 2' }],
      ]);
      expect(browser.connections).toHaveLength(1);
    } finally {
      page.source.close();
    }
  });

  it('posting to a room the user is not in: 403', async () => {
    const response = await post('cy', '/rooms/3/messages', { text: 'let me in' });
    expect(response.status).toBe(403);
  });

  it('cut, then back with its cursor: exactly what it missed of every channel, in order, then live', async () => {
    for (const room of ['4', '5']) expect((await post('dan', `/rooms/${room}/members`)).status).toBe(201);
    const browser = new Browser('dan');
    const page = browser.open(url);
    const { seen, reloaded } = recordInto(page, ['news', 'rooms/4', 'rooms/5']);
    const ids: string[] = [];
    for (const channel of ['news', 'rooms/4', 'rooms/5']) page.source.addEventListener(channel, (event) => ids.push(event.lastEventId));
    try {
      await until(() => broadcaster.clientCount('rooms/5') === 1, "dan's stream");
      await say('dan', '4', 'before');
      await until(() => seen.length === 1, 'the first frame');
      // The server cuts the stream (as a deploy would); the browser stays away until the test says.
      browser.leave();
      await broadcaster.disconnect('dan');
      await until(() => broadcaster.clientCount('rooms/5') === 0, 'the stream to end');
      await say('dan', '5', 'while away 1');
      await broadcaster.publish('news', { title: 'while away 2' });
      await say('dan', '4', 'while away 3');
      browser.back();
      await until(() => seen.length === 4, 'the missed frames');
      await say('dan', '5', 'live');
      await until(() => seen.length === 5, 'the live frame');
      expect(seen).toEqual([
        ['rooms/4', { from: 'dan', text: 'before' }],
        ['rooms/5', { from: 'dan', text: 'while away 1' }],
        ['news', { title: 'while away 2' }],
        ['rooms/4', { from: 'dan', text: 'while away 3' }],
        ['rooms/5', { from: 'dan', text: 'live' }],
      ]);
      expect(reloaded).toEqual([]);
      // It reconnected once, with one cursor: the id of the last frame it had, whatever its channel.
      expect(browser.connections).toEqual([undefined, ids[0]]);
      expect(new Set(ids).size).toBe(5);
    } finally {
      page.source.close();
    }
  });

  it('a cursor the server cannot read (from before a restart): one reset per channel, then live events', async () => {
    expect((await post('eve', '/rooms/6/members')).status).toBe(201);
    const browser = new Browser('eve');
    const page = browser.open(url);
    const { seen, reloaded } = recordInto(page, ['news', 'rooms/6']);
    try {
      await until(() => broadcaster.clientCount('rooms/6') === 1, "eve's stream");
      browser.leave({ cursor: 'k3f9x0ab.2a' });
      await broadcaster.disconnect('eve');
      await until(() => broadcaster.clientCount('rooms/6') === 0, 'the stream to end');
      browser.back();
      await until(() => reloaded.length === 2, 'the resets');
      expect(reloaded).toEqual(['news', 'rooms/6']);
      await until(() => broadcaster.clientCount('rooms/6') === 1, 'the stream to be back');
      await say('eve', '6', 'live');
      await until(() => seen.length === 1, 'the live frame');
      expect(seen).toEqual([['rooms/6', { from: 'eve', text: 'live' }]]);
    } finally {
      page.source.close();
    }
  });

  it('joining a room adds it to the open stream, live, without a reconnect; leaving takes it off', async () => {
    const browser = new Browser('fay');
    const page = browser.open(url);
    const { seen } = recordInto(page, ['news', 'rooms/7']);
    try {
      await until(() => page.source.readyState === page.source.OPEN, "fay's stream");
      expect((await post('fay', '/rooms/7/members')).status).toBe(201);
      expect(broadcaster.clientCount('rooms/7')).toBe(1);
      await say('fay', '7', 'first in 7');
      await until(() => seen.length === 1, 'the frame of the room she joined');
      expect(seen).toEqual([['rooms/7', { from: 'fay', text: 'first in 7' }]]);
      const left = await fetch(`${url}/rooms/7/members`, { method: 'DELETE', headers: as('fay') });
      expect(left.status).toBe(204);
      expect(broadcaster.clientCount('rooms/7')).toBe(0);
      await broadcaster.publish('news', { title: 'still here' });
      await until(() => seen.length === 2, 'news after leaving the room');
      expect(seen[1]).toEqual(['news', { title: 'still here' }]);
      expect(browser.connections).toHaveLength(1);
    } finally {
      page.source.close();
    }
  });
});
