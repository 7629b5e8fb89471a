import { jest } from '@jest/globals';
import { ForbiddenException, HttpException } from '@nestjs/common';
import { of, throwError } from 'rxjs';
import { resolveModuleOptions } from '../../lib/options/module-options.js';
import { StreamOpener } from '../../lib/session/stream-opener.js';
import type { StreamRoute } from '../../lib/session/stream-route.js';
import { Channel } from '../../lib/channel/channel.js';
import type { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { ConnectionTracker } from '../../lib/tracker/connection-tracker.js';
import type { SseModuleOptions } from '../../lib/interfaces/sse-module-options.interface.js';
import { entry, fakeRequest, FakeResponse, microtasks, ScriptedFeed } from '../src/fakes.js';

const ROUTE: StreamRoute = { event: 'chat', handlerName: 'Rooms.join' };

/**
 * The opener over fakes: a real tracker and channel, a registry whose
 * `acquire()` the test lets through when it wants (a shared channel being
 * subscribed), fake requests and responses.
 */
function setup(options: SseModuleOptions = {}) {
  const resolved = resolveModuleOptions({ heartbeat: 0, ...options });
  const tracker = new ConnectionTracker(resolved);
  const feed = new ScriptedFeed();
  const hooks = { onBusy: jest.fn(), onIdle: jest.fn(), onReadFailure: jest.fn(), onEnded: jest.fn() };
  const channel = new Channel('rooms/1', { resetEvent: 'sse-reset', endEvent: 'sse-end' }, feed.attach, hooks);
  let subscribed: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();
  const presence = { joined: jest.fn(), left: jest.fn() };
  const registry = {
    endIdOf: () => undefined,
    acquire: jest.fn(async () => {
      await gate;
      return channel;
    }),
    release: jest.fn(),
    presence,
  };
  const opener = new StreamOpener(resolved, tracker, registry as unknown as ChannelRegistry, null);
  /** Makes `acquire()` wait until `subscribe()` is called. */
  const holdSubscription = () => {
    gate = new Promise<void>((resolve) => (subscribed = resolve));
    return () => subscribed();
  };
  return { tracker, feed, channel, registry, presence, opener, holdSubscription };
}

describe('StreamOpener', () => {
  it('opens a channel stream: headers, the session tracked, the client on its channel; its close gives everything back', async () => {
    const { opener, tracker, channel, feed } = setup({ limits: { maxClients: 1 } });
    const [req, res] = [fakeRequest(), new FakeResponse()];
    const ticket = opener.reserve(ROUTE, req, res);
    await opener.open(ROUTE, req, res, { channel: 'rooms/1' }, ticket);
    ticket.slot.releaseUnlessOpen(); // (the request's own finally)
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headersFlushed).toBe(true);
    expect(tracker.count).toBe(1);
    expect(channel.clientCount).toBe(1);
    expect(() => opener.reserve(ROUTE, fakeRequest(), new FakeResponse())).toThrow(/503|too many|Too many/i);
    feed.emit(entry('1', 'hi'));
    await microtasks();
    expect(res.text).toBe('event: chat\nid: 1\ndata: hi\n\n');
    res.emit('close');
    expect(channel.clientCount).toBe(0);
    expect(tracker.count).toBe(0);
    expect(() => opener.reserve(ROUTE, fakeRequest(), new FakeResponse()).slot.release()).not.toThrow();
  });

  it('a client that leaves while its shared channel is being subscribed gets no stream and frees its place', async () => {
    const { opener, tracker, channel, registry, holdSubscription } = setup({ limits: { maxClients: 1 } });
    const subscribe = holdSubscription();
    const [req, res] = [fakeRequest(), new FakeResponse()];
    const ticket = opener.reserve(ROUTE, req, res);
    const opening = opener.open(ROUTE, req, res, { channel: 'rooms/1' }, ticket);
    res.destroy(); // the client left
    subscribe();
    await opening;
    ticket.slot.releaseUnlessOpen();
    expect(res.status).toBeUndefined();
    expect(channel.clientCount).toBe(0);
    expect(tracker.count).toBe(0);
    expect(registry.release).toHaveBeenCalledWith(channel);
    opener.reserve(ROUTE, fakeRequest(), new FakeResponse()); // its place is free again
  });

  it('shutdown between reserve and open: no stream is left open, the place is given back', async () => {
    const { opener, tracker, channel } = setup({ limits: { maxClients: 1 } });
    const [req, res] = [fakeRequest(), new FakeResponse()];
    const ticket = opener.reserve(ROUTE, req, res);
    tracker.beforeApplicationShutdown();
    await opener.open(ROUTE, req, res, { channel: 'rooms/1' }, ticket);
    ticket.slot.releaseUnlessOpen();
    expect(res.ended).toBe(true);
    expect(channel.clientCount).toBe(0);
    expect(tracker.count).toBe(0);
    opener.reserve(ROUTE, fakeRequest(), new FakeResponse());
  });

  it('HEAD gets the headers only: no session, no channel client, its place back', async () => {
    const { opener, tracker, channel } = setup({ limits: { maxClients: 1 } });
    const [req, res] = [fakeRequest({ method: 'HEAD' }), new FakeResponse()];
    const ticket = opener.reserve(ROUTE, req, res);
    await opener.open(ROUTE, req, res, { channel: 'rooms/1' }, ticket);
    ticket.slot.releaseUnlessOpen();
    expect(res.status).toBe(200);
    expect(res.ended).toBe(true);
    expect(res.text).toBe('');
    expect(channel.clientCount).toBe(0);
    expect(tracker.count).toBe(0);
    opener.reserve(ROUTE, fakeRequest(), new FakeResponse());
  });

  it('an Observable that fails before its first value is an HTTP error: no headers, no session, its place back', async () => {
    const { opener, tracker } = setup({ limits: { maxClients: 1 } });
    const [req, res] = [fakeRequest(), new FakeResponse()];
    const ticket = opener.reserve(ROUTE, req, res);
    await expect(opener.open(ROUTE, req, res, { source$: throwError(() => new ForbiddenException('no')) }, ticket)).rejects.toThrow(ForbiddenException);
    ticket.slot.releaseUnlessOpen();
    expect(res.status).toBeUndefined();
    expect(tracker.count).toBe(0);
    opener.reserve(ROUTE, fakeRequest(), new FakeResponse());
  });

  it('a per-client Observable: its values on the route\'s event, its completion ends the stream and the session', async () => {
    const { opener, tracker } = setup();
    const [req, res] = [fakeRequest(), new FakeResponse()];
    const ticket = opener.reserve(ROUTE, req, res);
    await opener.open(ROUTE, req, res, { source$: of('a', 'b') }, ticket);
    expect(res.text).toBe('event: chat\ndata: a\n\nevent: chat\ndata: b\n\n');
    expect(res.ended).toBe(true);
    expect(tracker.count).toBe(0);
  });

  it('an identified stream joins presence and leaves it when it closes; caps per identity answer 429 with Retry-After', async () => {
    const { opener, presence } = setup({ identities: { identify: () => 'ann', maxClientsPerIdentity: 1 }, retry: 2500 });
    const [req, res] = [fakeRequest(), new FakeResponse()];
    await opener.open({ ...ROUTE, presence: true }, req, res, { channel: 'rooms/1' }, opener.reserve(ROUTE, req, res));
    expect(presence.joined).toHaveBeenCalledWith('rooms/1', 'ann', true);
    const refused = new FakeResponse();
    let error: unknown;
    try {
      opener.reserve(ROUTE, fakeRequest(), refused);
    } catch (caught) {
      error = caught;
    }
    expect((error as HttpException).getStatus()).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    res.emit('close');
    expect(presence.left).toHaveBeenCalledWith('rooms/1', 'ann');
  });

  it('an expired credential is refused with 401 before anything else', () => {
    const { opener, tracker } = setup({ identities: { expiresAt: () => Date.now() - 1 } });
    expect(() => opener.reserve(ROUTE, fakeRequest(), new FakeResponse())).toThrow(/expired/);
    expect(tracker.count).toBe(0);
  });
});
