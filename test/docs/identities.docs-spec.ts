import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { AppModule } from '../../docs/examples/identities/app.module.js';
import { Sessions } from '../../docs/examples/identities/sessions.js';
import { until } from '../src/until.js';

type Seen = { type: string; data: unknown };

// docs/identities-and-presence.md's example (docs/examples/identities/), as pasted: users
// sign in with a cookie, real EventSource clients (the `eventsource` package, its fetch
// sending the cookie as a browser does) watch rooms; sign-out, expiry, presence and
// "everyone but the sender" are driven over HTTP.
describe.each(['express', 'fastify'] as const)('identities and presence on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  const sources: EventSource[] = [];

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterEach(() => sources.splice(0).forEach((source) => source.close()));
  afterAll(() => app?.close());

  /** POST /session: the `session=<token>` cookie the server sets. */
  async function signIn(name: string): Promise<string> {
    const response = await fetch(`${url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(response.status).toBe(201);
    const cookie = /^session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie).toBeDefined();
    return cookie!;
  }

  const say = (room: string, text: string, cookie?: string) =>
    fetch(`${url}/rooms/${room}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie && { cookie }) }, body: JSON.stringify({ text }) });

  /** An EventSource on a room, sending the cookie; it closes itself on sse-close, as the guide's page does. */
  async function watch(room: string, cookie?: string) {
    const seen: Seen[] = [];
    const source = new EventSource(`${url}/rooms/${room}`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...(cookie && { cookie }) } }),
    });
    sources.push(source);
    for (const type of ['chat', 'sse-join', 'sse-leave', 'sse-close']) {
      source.addEventListener(type, (event) => {
        seen.push({ type, data: JSON.parse(event.data) });
        if (type === 'sse-close') source.close();
      });
    }
    await until(() => source.readyState === EventSource.OPEN, `the stream of ${room} to open`);
    const of = (type: string) => seen.filter((event) => event.type === type).map((event) => event.data);
    return { source, seen, of };
  }

  const people = async (room: string) => (await (await fetch(`${url}/rooms/${room}/people`)).json()) as string[];

  it('an anonymous stream opens and gets the room; posting needs a session (401)', async () => {
    const anonymous = await watch('open');
    const ada = await signIn('ada');
    expect((await say('open', 'hello', ada)).status).toBe(201);
    await until(() => anonymous.of('chat').length === 1, 'the message');
    expect(anonymous.of('chat')).toEqual([{ from: 'ada', text: 'hello' }]);
    expect(anonymous.of('sse-join')).toEqual([]); // anonymous streams are nobody: no presence

    const refused = await say('open', 'who am I?');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toBe('Sign in to post.');
  });

  it('except: a message goes to everyone in the room but its sender', async () => {
    const [adaCookie, bobCookie] = await Promise.all([signIn('ada'), signIn('bob')]);
    const [ada, bob] = await Promise.all([watch('except', adaCookie), watch('except', bobCookie)]);
    expect((await say('except', 'from ada', adaCookie)).status).toBe(201);
    expect((await say('except', 'from bob', bobCookie)).status).toBe(201);
    // Events arrive in order: once ada has bob's later message, her own would have come before it.
    const from = (client: { of: (type: string) => unknown[] }, sender: string) => client.of('chat').some((data) => (data as { from: string }).from === sender);
    await until(() => from(ada, 'bob') && from(bob, 'ada'), 'the messages');
    expect(ada.of('chat')).toEqual([{ from: 'bob', text: 'from bob' }]);
    expect(bob.of('chat')).toEqual([{ from: 'ada', text: 'from ada' }]);
  });

  it('presence: one sse-join per user (two tabs), people lists them, one sse-leave after their last tab closes', async () => {
    const [adaCookie, bobCookie] = await Promise.all([signIn('ada'), signIn('bob')]);
    const bob = await watch('lobby', bobCookie);
    await until(() => bob.of('sse-join').length === 1, "bob's own join");
    const tabs = [await watch('lobby', adaCookie), await watch('lobby', adaCookie)];
    await until(() => bob.of('sse-join').length === 2, "ada's join");
    expect((await people('lobby')).sort()).toEqual(['ada', 'bob']);

    tabs[0].source.close();
    tabs[1].source.close();
    // A leave waits identities.presenceLeaveDelay (3 s) for a reload to come back.
    await until(() => bob.of('sse-leave').length === 1, "ada's leave", 10_000);
    expect(bob.of('sse-join')).toEqual([{ identity: 'bob' }, { identity: 'ada' }]);
    expect(bob.of('sse-leave')).toEqual([{ identity: 'ada' }]);
    expect(await people('lobby')).toEqual(['bob']);
  });

  it('sign-out: DELETE /session ends every stream of the user with sse-close {"reason":"revoked"}; the cookie is dead; others stay', async () => {
    const [adaCookie, bobCookie, cyCookie] = await Promise.all([signIn('ada'), signIn('bob'), signIn('cy')]);
    const tabs = [await watch('logout', adaCookie), await watch('logout', adaCookie)];
    const bob = await watch('logout', bobCookie);

    const signOut = await fetch(`${url}/session`, { method: 'DELETE', headers: { cookie: adaCookie } });
    expect(signOut.status).toBe(204);
    expect(signOut.headers.get('set-cookie')).toMatch(/^session=;.*Max-Age=0/);
    await until(() => tabs.every((tab) => tab.of('sse-close').length === 1), 'both tabs to be told');
    for (const tab of tabs) {
      expect(tab.seen.at(-1)).toEqual({ type: 'sse-close', data: { reason: 'revoked' } });
    }
    // What the browser's reconnect would get: the guard refuses the old cookie.
    const again = await fetch(`${url}/rooms/logout`, { headers: { accept: 'text/event-stream', cookie: adaCookie } });
    expect(again.status).toBe(401);

    expect((await say('logout', 'still here?', cyCookie)).status).toBe(201);
    await until(() => bob.of('chat').length === 1, "cy's message to bob");
    expect(bob.source.readyState).toBe(EventSource.OPEN);
    expect(bob.of('sse-close')).toEqual([]);
  });

  it('expiry: a session that expires ends its stream with sse-close {"reason":"expired"}, not before; the reconnect gets 401', async () => {
    const { token, user } = app.get(Sessions).create('eve', 1000);
    const eve = await watch('expiry', `session=${token}`);
    await until(() => eve.of('sse-close').length === 1, 'the expiry');
    expect(Date.now()).toBeGreaterThanOrEqual(user.expiresAt);
    expect(eve.seen.at(-1)).toEqual({ type: 'sse-close', data: { reason: 'expired' } });
    const again = await fetch(`${url}/rooms/expiry`, { headers: { accept: 'text/event-stream', cookie: `session=${token}` } });
    expect(again.status).toBe(401);
  });

  it('curl -N -b shows the frames: the own join, a message, then sse-close without an id, and the response ends', async () => {
    const [adaCookie, bobCookie] = await Promise.all([signIn('ada'), signIn('bob')]);
    const response = await fetch(`${url}/rooms/curl`, { headers: { cookie: adaCookie } });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (done: () => boolean) => {
      while (!done()) {
        const chunk = await reader.read();
        if (chunk.done) return;
        text += decoder.decode(chunk.value, { stream: true });
      }
    };
    await readUntil(() => text.includes('"identity":"ada"}\n\n'));
    expect((await say('curl', 'hi', bobCookie)).status).toBe(201);
    await readUntil(() => text.includes('"text":"hi"}\n\n'));
    expect((await fetch(`${url}/session`, { method: 'DELETE', headers: { cookie: adaCookie } })).status).toBe(204);
    await readUntil(() => false); // to the end of the response
    expect(text).toMatch(
      /^event: sse-join\nid: \S+\ndata: \{"identity":"ada"\}\n\nevent: chat\nid: \S+\ndata: \{"from":"bob","text":"hi"\}\n\nevent: sse-close\ndata: \{"reason":"revoked"\}\n\n$/,
    );
  });

  it('maxClientsPerIdentity: 5 streams per user; the 6th gets 429 with Retry-After; other users are not counted with them', async () => {
    const [dan, eli] = await Promise.all([signIn('dan'), signIn('eli')]);
    const controller = new AbortController();
    const open = (cookie: string) => fetch(`${url}/rooms/cap`, { headers: { cookie }, signal: controller.signal });
    try {
      const five = await Promise.all(Array.from({ length: 5 }, () => open(dan)));
      expect(five.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      const sixth = await open(dan);
      expect(sixth.status).toBe(429);
      expect(sixth.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await sixth.json()) as { message: string }).message).toContain('maxClientsPerIdentity 5');
      expect((await open(eli)).status).toBe(200);
    } finally {
      controller.abort();
    }
  });
});
