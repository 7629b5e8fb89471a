import { channelTag, compareChannelIds, parseCallerId, parseChannelId } from '../../lib/transport/redis/channel-id.js';
import { compareStreamIds, parseStreamId } from '../../lib/transport/redis/stream-id.js';
import { EventHistory, type ChannelEvent } from '../../lib/feed/history.js';

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

describe('Redis transport ids: "<ms>-<seq>.<tag>", the tag of the channel\'s Stream key', () => {
  const tag = channelTag('sse:rooms/1');
  const other = channelTag('sse:rooms/2');

  it('tags each Stream key with 5 base-36 characters, the same every time, different for other keys', () => {
    expect(tag).toMatch(/^[0-9a-z]{5}$/);
    expect(channelTag('sse:rooms/1')).toBe(tag);
    const tags = new Set(Array.from({ length: 1000 }, (_, n) => channelTag(`sse:rooms/${n}`)));
    expect(tags.size).toBeGreaterThan(995); // (a collision among 1000 keys: about 1 in 100)
    expect(channelTag('other:rooms/1')).not.toBe(tag); // the key prefix counts
  });

  it("parses an id of the channel into its canonical form, and refuses another channel's, an untagged one and anything else", () => {
    expect(parseChannelId(`1700000000000-0.${tag}`, tag)).toBe(`1700000000000-0.${tag}`);
    expect(parseChannelId(`0001-007.${tag}`, tag)).toBe(`1-7.${tag}`);
    expect(parseChannelId(`1700000000000-0.${other}`, tag)).toBeUndefined();
    for (const bad of ['1700000000000-0', `1700000000000-0.${tag}x`, `1700000000000-0.${tag.toUpperCase()}`, `1700000000000-0-${tag}`, `${tag}.1700000000000-0`, `1-2.`, ` 1-2.${tag}`, `18446744073709551616-0.${tag}`]) {
      expect(parseChannelId(bad, tag)).toBeUndefined();
    }
  });

  it("takes a caller's Stream id with the channel's tag or none (above 0-0), and gives it the tag", () => {
    expect(parseCallerId('99-7', tag)).toBe(`99-7.${tag}`);
    expect(parseCallerId(`099-7.${tag}`, tag)).toBe(`99-7.${tag}`);
    for (const bad of [`99-7.${other}`, '0-0', `0-0.${tag}`, 'order-1', '99-7.', '99-7 ']) {
      expect(parseCallerId(bad, tag)).toBeUndefined();
    }
  });

  it('orders ids by their Stream ids, the untagged 0-0 first, and is zero only for equal ids', () => {
    const sorted = ['0-0', `0-1.${tag}`, `9-0.${tag}`, `10-0.${tag}`, `10-10.${tag}`, `9007199254740993-0.${tag}`];
    expect([...sorted].reverse().sort(compareChannelIds)).toEqual(sorted);
    expect(compareChannelIds(`5-5.${tag}`, `5-5.${tag}`)).toBe(0);
    expect(compareChannelIds(`5-5.${tag}`, '5-5')).toBeGreaterThan(0);
    expect(compareChannelIds(`5-5.${tag}`, `5-5.${other}`)).not.toBe(0);
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
