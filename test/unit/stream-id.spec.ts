import { compareStreamIds, parseStreamId } from '../../lib/transport/redis/stream-id.js';
import { EventHistory, type ChannelEvent } from '../../lib/streaming/history.js';

describe('Redis stream ids', () => {
  it('parses "<ms>-<seq>" into its canonical form and refuses anything else', () => {
    expect(parseStreamId('1700000000000-0')).toBe('1700000000000-0');
    expect(parseStreamId('0001-007')).toBe('1-7');
    expect(parseStreamId('18446744073709551615-18446744073709551615')).toBe('18446744073709551615-18446744073709551615');
    for (const bad of ['', '5', '5-', '-5', '1-2-3', 'a-1', '1-x', ' 1-2', '1-2 ', '18446744073709551616-0', '1e3-0']) {
      expect(parseStreamId(bad)).toBeUndefined();
    }
  });

  it('orders ids as pairs of 64-bit numbers, beyond 2^53 too', () => {
    const sorted = ['0-0', '0-1', '9-0', '10-0', '10-2', '10-10', '9007199254740993-0', '9007199254740993-1', '18446744073709551615-0'];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareStreamIds)).toEqual(sorted);
    expect(compareStreamIds('5-5', '5-5')).toBe(0);
    expect(compareStreamIds('9007199254740993-0', '9007199254740992-0')).toBeGreaterThan(0);
  });
});

describe('EventHistory with ordered ids (the local window of a shared channel)', () => {
  const event = (id: string): ChannelEvent => ({ id, event: undefined, body: 'x' });
  const ids = (events: ChannelEvent[] | undefined) => events?.map((e) => e.id);

  it('answers for any id at or after where it is complete, and for none before', () => {
    const history = new EventHistory(3, Infinity);
    expect(history.since('5-0', compareStreamIds)).toBeUndefined(); // not started: nothing is known
    history.startAfter('10-0');
    expect(history.since('10-0', compareStreamIds)).toEqual([]);
    expect(history.since('9-0', compareStreamIds)).toBeUndefined();
    ['11-0', '12-0', '12-1'].forEach((id) => history.add(event(id)));
    expect(ids(history.since('10-0', compareStreamIds))).toEqual(['11-0', '12-0', '12-1']);
    expect(ids(history.since('11-5', compareStreamIds))).toEqual(['12-0', '12-1']); // an id it never saw
    expect(ids(history.since('99-0', compareStreamIds))).toEqual([]);
    history.add(event('13-0')); // drops 11-0: complete after 11-0 only
    expect(history.since('10-0', compareStreamIds)).toBeUndefined();
    expect(ids(history.since('11-0', compareStreamIds))).toEqual(['12-0', '12-1', '13-0']);
  });

  it('with history 0 is complete only after the newest id', () => {
    const history = new EventHistory(0, Infinity);
    history.startAfter('1-0');
    history.add(event('2-0'));
    expect(history.since('1-0', compareStreamIds)).toBeUndefined();
    expect(history.since('2-0', compareStreamIds)).toEqual([]);
  });
});
