import { jest } from '@jest/globals';
import type { SseModuleOptions } from '../../lib/interfaces/sse-module-options.interface.js';
import { resolveModuleOptions } from '../../lib/options/module-options.js';
import { ConnectionTracker } from '../../lib/tracker/connection-tracker.js';
import { fakeSession } from '../src/fakes.js';

function setup(options: SseModuleOptions = {}) {
  const tracker = new ConnectionTracker(resolveModuleOptions(options));
  /** A tracked session of `identity`, in a place reserved from the tracker. */
  const open = (identity?: string, extra: { expiresAt?: number; heartbeat?: number } = {}) => {
    const reservation = tracker.reserve(identity);
    if (reservation.refused !== undefined) {
      throw new Error(`refused: ${reservation.refused}`);
    }
    const opened = fakeSession({ slot: reservation.slot, identity, ...extra }, tracker);
    opened.session.track();
    return opened;
  };
  return { tracker, open };
}

describe('ConnectionTracker', () => {
  afterEach(() => jest.useRealTimers());

  it('caps streams open or opening at maxClients; a closed stream or an unused reservation gives its place back', () => {
    const { tracker, open } = setup({ limits: { maxClients: 2 } });
    const first = open();
    const pending = tracker.reserve(undefined);
    expect(pending.refused).toBeUndefined();
    expect(tracker.reserve(undefined)).toEqual({ refused: 'max_clients', cap: 2 });
    expect(tracker.refusedCount).toBe(1);
    pending.slot!.releaseUnlessOpen();
    const second = open();
    expect(tracker.count).toBe(2);
    first.response.emit('close');
    expect(tracker.count).toBe(1);
    open();
    expect(tracker.reserve(undefined).refused).toBe('max_clients');
    second.session.end(undefined, 'server');
    expect(tracker.reserve(undefined).refused).toBeUndefined();
  });

  it('caps the streams of one identity on the module and on a route, counting only that identity', () => {
    const { tracker, open } = setup({ identities: { maxClientsPerIdentity: 2 } });
    const ann = open('ann');
    open('ann');
    expect(tracker.reserve('ann')).toEqual({ refused: 'max_clients_per_identity', cap: 2 });
    expect(tracker.reserve('bob').refused).toBeUndefined();
    ann.response.emit('close');
    const route = { name: 'Rooms.join', cap: 1 };
    const onRoute = tracker.reserve('ann', route);
    expect(onRoute.refused).toBeUndefined();
    expect(tracker.reserve('ann', route)).toEqual({ refused: 'max_clients_per_identity', cap: 2 });
    onRoute.slot!.release();
    const carol = tracker.reserve('carol', route);
    expect(tracker.reserve('carol', route)).toEqual({ refused: 'max_clients_per_identity', cap: 1 });
    expect(tracker.reserve('carol', { name: 'Other.route', cap: 1 }).refused).toBeUndefined();
    carol.slot!.release();
  });

  it('disconnect() ends every stream of an identity after the cut-off event (reason revoked), and only those', () => {
    const { tracker, open } = setup();
    const [ann1, ann2, bob] = [open('ann'), open('ann'), open('bob')];
    expect(tracker.disconnect('ann')).toBe(2);
    for (const ann of [ann1, ann2]) {
      expect(ann.response.text).toBe('event: sse-close\ndata: {"reason":"revoked"}\n\n');
      expect(ann.response.ended).toBe(true);
    }
    expect(bob.response.ended).toBe(false);
    expect(tracker.disconnect('ann')).toBe(0);
    expect(tracker.count).toBe(1);
  });

  it('ends a stream when its credential expires, from one timer; a stream gone before is skipped', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { tracker, open } = setup();
    const soon = open('ann', { expiresAt: 1_000_500 });
    const gone = open('bob', { expiresAt: 1_000_400 });
    const later = open('carol', { expiresAt: 1_002_000 });
    gone.response.emit('close');
    jest.advanceTimersByTime(499);
    expect(soon.response.ended).toBe(false);
    jest.advanceTimersByTime(1);
    expect(soon.response.text).toBe('event: sse-close\ndata: {"reason":"expired"}\n\n');
    expect(gone.response.text).toBe('');
    expect(later.response.ended).toBe(false);
    expect(tracker.count).toBe(1);
  });

  it('writes heartbeats to tracked streams only, and stops them when a stream closes', () => {
    jest.useFakeTimers();
    const { tracker, open } = setup();
    const beating = open(undefined, { heartbeat: 1000 });
    const quiet = open(undefined, { heartbeat: 0 });
    jest.advanceTimersByTime(1000);
    expect(beating.response.text).toBe(':\n\n');
    expect(quiet.response.text).toBe('');
    beating.response.emit('close');
    expect(tracker.heartbeat.timerCount).toBe(0);
  });

  it('on shutdown ends every stream after the shutdown event, and takes no reservation as open', () => {
    const { tracker, open } = setup({ events: { shutdown: 'bye' } });
    const streams = [open('ann'), open(), open()];
    tracker.beforeApplicationShutdown();
    for (const { response } of streams) {
      expect(response.text).toBe('event: bye\ndata: {"reason":"shutdown"}\n\n');
      expect(response.ended).toBe(true);
    }
    expect(tracker.count).toBe(0);
    expect(tracker.isShuttingDown).toBe(true);
  });
});
