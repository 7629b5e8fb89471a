import request from 'supertest';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { expiresAt, identify, IdentityController } from '../src/identity.controller.js';
import { until } from '../src/until.js';

const token = (user: string, expiresInMs = 60_000) => ({ authorization: `Bearer ${user}.${Date.now() + expiresInMs}` });

describe.each(PLATFORMS)('identities on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string, headers: Record<string, string> = {}) => SseTestStream.open(t.server, { path, headers });

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, identities: { identify, expiresAt, maxClientsPerIdentity: 3, presenceLeaveDelay: 150 } })],
      controllers: [IdentityController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('a stream ends when its credential expires — not before — with the accessEnd event (sse-close); the reconnect with the expired token gets 401', async () => {
    const headers = token('ada', 300);
    const exp = Number(headers.authorization.split('.')[1]);
    const [room, me] = await Promise.all([open('/rooms/expiry', headers), open('/me', headers)]);
    await Promise.all([room.waitForEnd(), me.waitForEnd()]);
    const ended = Date.now();
    expect(ended).toBeGreaterThanOrEqual(exp);
    for (const stream of [room, me]) {
      expect(stream.events.at(-1)).toEqual({ event: 'sse-close', data: '{"reason":"expired"}', id: undefined, retry: undefined });
    }
    const again = await request(t.server).get('/rooms/expiry').set(headers).set('accept', 'text/event-stream');
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ statusCode: 401, message: 'The credential of this stream has expired: sign in again, then reconnect.' });
  });

  it('disconnect(identity) ends every stream of that identity with the accessEnd event (sse-close); others and anonymous ones stay', async () => {
    const [adaRoom, adaMe, bob, anonymous] = await Promise.all([
      open('/rooms/logout', token('ada')),
      open('/me', token('ada')),
      open('/rooms/logout', token('bob')),
      open('/rooms/logout'),
    ]);
    await until(() => broadcaster.clientCount('rooms/logout') === 3, 'the room clients');
    expect(await broadcaster.disconnect('ada')).toBe(2);
    await Promise.all([adaRoom.waitForEnd(), adaMe.waitForEnd()]);
    for (const stream of [adaRoom, adaMe]) {
      expect(stream.events.at(-1)).toMatchObject({ event: 'sse-close', data: '{"reason":"revoked"}' });
    }
    await broadcaster.publish('rooms/logout', 'still here');
    for (const stream of [bob, anonymous]) {
      expect((await stream.waitForEvents(1))[0].data).toBe('still here');
      expect(stream.ended).toBe(false);
    }
    expect(await broadcaster.disconnect('nobody')).toBe(0);
    await Promise.all([bob.close(), anonymous.close()]);
  });

  it('caps the streams of one identity (module: 3 in all; route: 1) with 429 and Retry-After; a place frees when a stream closes; anonymous streams are not capped', async () => {
    const streams = await Promise.all([open('/rooms/cap', token('cy')), open('/me', token('cy')), open('/solo', token('cy'))]);
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await request(t.server).get('/rooms/cap').set(token('cy')).set('accept', 'text/event-stream');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    expect(refused.body).toMatchObject({ statusCode: 429, message: expect.stringContaining('maxClientsPerIdentity 3') });
    await streams[0].close();
    await until(() => broadcaster.clientCount('rooms/cap') === 0, 'the stream to close');
    const soloAgain = await request(t.server).get('/solo').set(token('cy')).set('accept', 'text/event-stream');
    expect(soloAgain.status).toBe(429); // the route's own cap: one
    expect(soloAgain.body.message).toContain('maxClientsPerIdentity 1');
    const back = await open('/rooms/cap', token('cy'));
    expect(back.status).toBe(200);
    const anonymous = await Promise.all(Array.from({ length: 5 }, () => open('/rooms/cap')));
    expect(anonymous.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    await Promise.all([back, ...streams.slice(1), ...anonymous].map((s) => s.close()));
  });

  it('publish(…, { to, except }): live and in replay only the streams it is for; anonymous ones by the rules', async () => {
    const [ada, bob, cy, anonymous] = await Promise.all([
      open('/rooms/targets', token('ada')),
      open('/rooms/targets', token('bob')),
      open('/rooms/targets', token('cy')),
      open('/rooms/targets'),
    ]);
    await until(() => broadcaster.clientCount('rooms/targets') === 4, 'the clients');
    const ids = [
      await broadcaster.publish('rooms/targets', 'to ada', { to: 'ada' }),
      await broadcaster.publish('rooms/targets', 'to ada and bob', { to: ['ada', 'bob'] }),
      await broadcaster.publish('rooms/targets', 'all but ada', { except: 'ada' }),
      await broadcaster.publish('rooms/targets', 'everyone'),
    ];
    const seen = async (stream: SseTestStream, count: number) => (await stream.waitForEvents(count)).map((e) => e.data);
    expect(await seen(ada, 3)).toEqual(['to ada', 'to ada and bob', 'everyone']);
    expect(await seen(bob, 3)).toEqual(['to ada and bob', 'all but ada', 'everyone']);
    expect(await seen(cy, 2)).toEqual(['all but ada', 'everyone']);
    expect(await seen(anonymous, 2)).toEqual(['all but ada', 'everyone']);
    // Each kept its place and id: one channel-wide id per event.
    expect(ada.events.map((e) => e.id)).toEqual([ids[0], ids[1], ids[3]]);
    expect(cy.events.map((e) => e.id)).toEqual([ids[2], ids[3]]);

    // Replay applies the same audience: nothing that was not for the client.
    const [adaBack, cyBack, anonymousBack] = await Promise.all([
      open('/rooms/targets', { ...token('ada'), 'last-event-id': ids[0] }),
      open('/rooms/targets', { ...token('cy'), 'last-event-id': ids[0] }),
      open('/rooms/targets', { 'last-event-id': ids[0] }),
    ]);
    const marker = await broadcaster.publish('rooms/targets', 'marker');
    expect((await adaBack.waitForEvents(3)).map((e) => e.id)).toEqual([ids[1], ids[3], marker]);
    expect((await cyBack.waitForEvents(3)).map((e) => e.id)).toEqual([ids[2], ids[3], marker]);
    expect((await anonymousBack.waitForEvents(3)).map((e) => e.id)).toEqual([ids[2], ids[3], marker]);
    await Promise.all([ada, bob, cy, anonymous, adaBack, cyBack, anonymousBack].map((s) => s.close()));
  });

  it('refuses an audience that is not identities, naming it', () => {
    expect(() => broadcaster.publish('rooms/x', 'x', { to: '' })).toThrow(/Invalid publish options\.to "": pass an identity/);
    expect(() => broadcaster.publish('rooms/x', 'x', { except: [1] as never })).toThrow(/Invalid publish options\.except \[1\]/);
  });

  it('presence: one join per identity (two tabs, any route of the channel), one leave after the last tab and the delay; anonymous streams do not count', async () => {
    const watcher = await open('/lobby/p1', token('watcher'));
    const presenceOf = () => watcher.events.filter((e) => e.event === 'sse-join' || e.event === 'sse-leave').map((e) => `${e.event}:${JSON.parse(e.data).identity}`);
    await until(() => presenceOf().length === 1, 'the watcher\'s own join');
    const [tab1, tab2, quiet, anonymous] = await Promise.all([
      open('/lobby/p1', token('ada')),
      open('/lobby/p1', token('ada')),
      open('/lobby/p1/quiet', token('bob')),
      open('/lobby/p1'),
    ]);
    await until(() => presenceOf().length === 3, 'the joins');
    expect(presenceOf().sort()).toEqual(['sse-join:ada', 'sse-join:bob', 'sse-join:watcher']);
    expect(await broadcaster.identities('lobby/p1')).toEqual(['ada', 'bob', 'watcher']);
    await tab1.close();
    // A reload: the tab leaves and comes back within the delay — no leave, no second join.
    await quiet.close();
    const quietAgain = await open('/lobby/p1/quiet', token('bob'));
    await tab2.close();
    await until(() => presenceOf().length === 4, 'ada\'s leave');
    const marker = await broadcaster.publish('lobby/p1', 'marker');
    await watcher.waitFor((events) => events.some((e) => e.id === marker));
    expect(presenceOf()).toEqual(expect.arrayContaining(['sse-leave:ada']));
    expect(presenceOf().filter((p) => p.endsWith(':bob'))).toEqual(['sse-join:bob']);
    expect(await broadcaster.identities('lobby/p1')).toEqual(['bob', 'watcher']);
    // Presence events are channel events: replayed like any other.
    const back = await open('/lobby/p1/quiet', { ...token('cy'), 'last-event-id': watcher.events[0].id! });
    await back.waitFor((events) => events.some((e) => e.event === 'sse-leave'));
    await Promise.all([watcher, quietAgain, anonymous, back].map((s) => s.close()));
  });
});
