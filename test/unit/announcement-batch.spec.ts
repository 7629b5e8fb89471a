import { jest } from '@jest/globals';
import { AnnouncementBatch, PRESENCE_BATCH_MS } from '../../lib/presence/announcement-batch.js';

describe('AnnouncementBatch: the joins of a stampede go out together', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('makes the announcements of one window in one turn, in the order they came, each once', () => {
    const made: string[][] = [];
    let turn: string[] = [];
    const batch = new AnnouncementBatch((channel, identity, kind) => turn.push(`${kind}:${channel}:${identity}`));
    const endTurn = () => {
      if (turn.length > 0) made.push(turn);
      turn = [];
    };
    batch.add('room', 'ada', 'join');
    endTurn();
    jest.advanceTimersByTime(PRESENCE_BATCH_MS / 2);
    batch.add('room', 'bob', 'join');
    batch.add('room', 'ada', 'leave');
    endTurn();
    expect(made).toEqual([]); // nothing before the window ends
    jest.advanceTimersByTime(PRESENCE_BATCH_MS / 2);
    endTurn();
    expect(made).toEqual([['join:room:ada', 'join:room:bob', 'leave:room:ada']]);
    batch.add('room', 'cy', 'join'); // a new window
    jest.advanceTimersByTime(PRESENCE_BATCH_MS);
    endTurn();
    expect(made).toEqual([['join:room:ada', 'join:room:bob', 'leave:room:ada'], ['join:room:cy']]);
  });

  it('flush() makes what waits at once (shutdown), and no timer is left', () => {
    const made: string[] = [];
    const batch = new AnnouncementBatch((_channel, identity) => made.push(identity));
    batch.add('room', 'ada', 'join');
    batch.flush();
    expect(made).toEqual(['ada']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
