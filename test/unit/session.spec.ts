import { jest } from '@jest/globals';
import type { RouteMeter } from '../../lib/metrics/route-meter.js';
import type { CloseReason } from '../../lib/model/close-reason.js';
import type { SessionRegistry, TrackedSession } from '../../lib/tracker/tracked-session.js';
import { StreamSlot } from '../../lib/tracker/stream-slot.js';
import { fakeSession } from '../src/fakes.js';

/** Records, in order, everything a session does on its way out. */
function recorder() {
  const steps: string[] = [];
  const registry: SessionRegistry = {
    add: () => steps.push('tracker add'),
    remove: (_session: TrackedSession, reason: CloseReason) => steps.push(`tracker remove ${reason}`),
  };
  const meter = {
    opened: () => steps.push('meter opened'),
    closed: (reason: CloseReason) => steps.push(`meter closed ${reason}`),
    bytes: 0,
  } as unknown as RouteMeter;
  const slot = new StreamSlot(() => steps.push('slot released'));
  return { steps, registry, meter, slot };
}

describe('StreamSession', () => {
  it('closes once, in the reverse order of opening: subscriptions (last first), tracker, slot, metrics', () => {
    const { steps, registry, meter, slot } = recorder();
    const { session, response } = fakeSession({ meter, slot }, registry);
    session.track();
    session.subscribe({ leave: (reason) => steps.push(`channel left ${reason}`) });
    session.subscribe({ leave: (reason) => steps.push(`presence left ${reason}`) });
    response.emit('close'); // the client went away
    response.emit('close');
    session.end(undefined, 'server');
    expect(steps).toEqual([
      'meter opened',
      'tracker add',
      'presence left client',
      'channel left client',
      'tracker remove client',
      'slot released',
      'meter closed client',
    ]);
  });

  it('holds its slot: the request giving back an unused place does not free it, the close does', () => {
    const released = jest.fn();
    const slot = new StreamSlot(released);
    const { session } = fakeSession({ slot });
    slot.releaseUnlessOpen(); // (the request's own finally, after the stream opened)
    expect(released).not.toHaveBeenCalled();
    session.end(undefined, 'server');
    expect(released).toHaveBeenCalledTimes(1);
    slot.release();
    slot.releaseUnlessOpen();
    expect(released).toHaveBeenCalledTimes(1);
  });

  it('a slot of a request that never opened a stream is given back once', () => {
    const released = jest.fn();
    const slot = new StreamSlot(released);
    slot.releaseUnlessOpen();
    slot.releaseUnlessOpen();
    slot.release();
    expect(released).toHaveBeenCalledTimes(1);
  });

  it('a subscription added after the end is left at once; a session ended before track() is never tracked', () => {
    const { steps, registry, slot } = recorder();
    const { session } = fakeSession({ slot }, registry);
    session.end(undefined, 'shutdown');
    session.track();
    session.subscribe({ leave: (reason) => steps.push(`left ${reason}`) });
    expect(steps).toEqual(['slot released', 'left server']);
  });

  it('ends with a last frame and a reason; the connection carries identity and metrics', () => {
    const { steps, registry, meter, slot } = recorder();
    const { session, response, connection } = fakeSession({ meter, slot, identity: 'ann' }, registry);
    expect(session.identity).toBe('ann');
    expect(connection.meter).toBe(meter);
    session.track();
    session.end('event: bye\ndata: x\n\n', 'revoked');
    expect(response.text).toBe('event: bye\ndata: x\n\n');
    expect(response.ended).toBe(true);
    expect(steps.slice(-3)).toEqual(['tracker remove revoked', 'slot released', 'meter closed revoked']);
  });

  it('flushes the headers on their own only when nothing was written with them', () => {
    const quiet = fakeSession();
    quiet.session.flushHeaders();
    expect(quiet.response.headersFlushed).toBe(true);
    const busy = fakeSession();
    busy.connection.write('retry: 5\n\n');
    busy.session.flushHeaders();
    expect(busy.response.headersFlushed).toBe(false);
  });
});
