import { PRESENCE_BATCH_MS } from '../../lib/presence/announcement-batch.js';
import { jest } from '@jest/globals';
import { ExpiryTimer } from '../../lib/util/expiry-timer.js';
import { IdentityIndex } from '../../lib/tracker/identity-index.js';
import { LocalPresenceStore, Presence } from '../../lib/presence/presence.js';
import { isFor } from '../../lib/model/audience.js';
import { fakeConnection } from '../src/fakes.js';

const flush = () => new Promise<void>((resolve) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(resolve));

describe('ExpiryTimer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires each item at its time, from one timer set for the soonest', () => {
    const expired: string[] = [];
    const timer = new ExpiryTimer<string>((item) => expired.push(item));
    const now = Date.now();
    timer.add('late', now + 300);
    timer.add('soon', now + 100);
    timer.add('soon too', now + 100);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired.sort()).toEqual(['soon', 'soon too']);
    jest.advanceTimersByTime(200);
    expect(expired).toContain('late');
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('IdentityIndex', () => {
  it('counts an identity\'s streams in all and per route, and finds its open ones', () => {
    const index = new IdentityIndex();
    index.hold('ada', 'A.room');
    index.hold('ada', 'A.me');
    expect([index.count('ada'), index.count('ada', 'A.room'), index.count('bob')]).toEqual([2, 1, 0]);
    const { connection } = fakeConnection();
    index.add('ada', connection);
    expect(index.streamsOf('ada')).toEqual([connection]);
    index.free('ada', 'A.room');
    index.remove('ada', connection);
    expect([index.count('ada'), index.count('ada', 'A.room'), index.streamsOf('ada')]).toEqual([1, 0, []]);
  });
});

describe('isFor (to / except)', () => {
  it('to: only those identities, never anonymous; except: everyone else, anonymous too', () => {
    expect(isFor(undefined, undefined)).toBe(true);
    expect(isFor({ to: ['ada'] }, 'ada')).toBe(true);
    expect(isFor({ to: ['ada'] }, 'bob')).toBe(false);
    expect(isFor({ to: ['ada'] }, undefined)).toBe(false);
    expect(isFor({ except: ['ada'] }, 'ada')).toBe(false);
    expect(isFor({ except: ['ada'] }, undefined)).toBe(true);
    expect(isFor({ to: ['ada', 'bob'], except: ['bob'] }, 'bob')).toBe(false);
  });
});

describe('Presence', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());
  /** Lets promises settle and the batch of announcements go out (PRESENCE_BATCH_MS). */
  const settled = async () => {
    await flush();
    jest.advanceTimersByTime(PRESENCE_BATCH_MS);
    await flush();
  };

  function setup() {
    const announced: string[] = [];
    const presence = new Presence(new LocalPresenceStore(), (channel, identity, kind) => announced.push(`${kind}:${identity}`), 1000, (error) => {
      throw error;
    });
    return { presence, announced };
  }

  it('announces an identity\'s first stream and, after the delay, its last one leaving; a return within the delay is no leave', async () => {
    const { presence, announced } = setup();
    presence.joined('room', 'ada', true);
    presence.joined('room', 'ada', true);
    await settled();
    expect(announced).toEqual(['join:ada']);
    presence.left('room', 'ada');
    presence.left('room', 'ada');
    jest.advanceTimersByTime(500);
    presence.joined('room', 'ada', false); // a reload
    jest.advanceTimersByTime(1000);
    await settled();
    expect(announced).toEqual(['join:ada']);
    presence.left('room', 'ada');
    jest.advanceTimersByTime(1000);
    await settled();
    expect(announced).toEqual(['join:ada', 'leave:ada']);
    expect(await presence.list('room')).toEqual([]);
  });

  it('counts identities on channels without presence, announces nothing there, unless a template names them', async () => {
    const { presence, announced } = setup();
    presence.joined('quiet', 'bob', false);
    await settled();
    expect(announced).toEqual([]);
    expect(await presence.list('quiet')).toEqual(['bob']);
    presence.addTemplate((channel) => channel.startsWith('lobby/'));
    presence.joined('lobby/1', 'cy', false);
    await settled();
    expect(announced).toEqual(['join:cy']);
  });

  it('forgets a channel no template covers once nothing of it is left here: channel names picked per request do not pile up', async () => {
    const { presence, announced } = setup();
    const remembered = presence as unknown as { announced: Set<string>; leaving: Map<string, number> };
    for (let n = 0; n < 500; n++) {
      presence.joined(`made-up/${n}`, 'ada', true);
    }
    presence.joined('kept', 'bob', true);
    await settled();
    for (let n = 0; n < 500; n++) {
      presence.left(`made-up/${n}`, 'ada');
    }
    jest.advanceTimersByTime(1000);
    await settled();
    expect(announced.filter((kind) => kind === 'leave:ada')).toHaveLength(500);
    expect([...remembered.announced]).toEqual(['kept']);
    expect(remembered.leaving.size).toBe(0);
    // A channel forgotten here is announced again when a presence route streams it again.
    presence.joined('made-up/1', 'cy', true);
    await settled();
    expect(announced.at(-1)).toBe('join:cy');
  });

  it('confirms no leave once stopped (shutdown): a stream ending then sets no timer that would reach a closed store', async () => {
    const gone: string[] = [];
    const store = new LocalPresenceStore();
    const presence = new Presence(
      Object.assign(store, { gone: (channel: string, identity: string) => (gone.push(identity), Promise.resolve(true)) }),
      () => undefined,
      1000,
      (error) => {
        throw error;
      },
    );
    presence.joined('room', 'ada', true);
    presence.joined('room', 'bob', true);
    presence.left('room', 'ada');
    presence.stop();
    presence.left('room', 'bob');
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    await settled();
    expect(gone).toEqual([]);
  });
});
