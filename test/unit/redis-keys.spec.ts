import { describe, expect, it } from '@jest/globals';
import { keySlot } from '../../lib/transport/redis/cluster-slot.js';
import { RedisKeys } from '../../lib/transport/redis/redis-keys.js';

describe('keySlot: the Redis Cluster slot of a key', () => {
  // Each slot as redis-server 7.0.15 answered CLUSTER KEYSLOT for the key.
  it.each([
    ['a', 15495],
    ['foo', 12182],
    ['sse:{abc}x', 7638],
    ['{}x', 10595], // an empty tag: the whole key
    ['{a}{b}', 15495], // the first tag only
    ['é{ü}', 9552], // UTF-8 bytes
    ['x{', 3596], // no closing brace: the whole key
    ['{user1000}.following', 3443],
    ['sse:{k3f9x}rooms/1', 11087],
  ])('%j → %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });
});

describe('RedisKeys: where a channel lives', () => {
  it('keeps the one-server layout', () => {
    const keys = new RedisKeys('sse:', false);
    expect(keys.stream('rooms/1')).toBe('sse:rooms/1');
    expect(keys.sequence('rooms/1')).toBe('sse:\0seq');
    expect(keys.watchMark('rooms/1')).toBe('sse:rooms/1\0watched');
    expect(keys.presence('rooms/1')).toBe('sse:presence:rooms/1');
    expect(keys.channelOf('sse:rooms/1')).toBe('rooms/1');
    expect(keys.channelOf('other:rooms/1')).toBeUndefined();
  });

  it.each(['rooms/1', 'a}b', '}x', '{x}', 'é/ü', 'x'.repeat(300)])('on a cluster, puts every key of %j in one slot, and finds the channel again', (channel) => {
    const keys = new RedisKeys('sse:', true);
    const stream = keys.stream(channel);
    const slot = keySlot(stream);
    for (const key of [keys.sequence(channel), keys.watchMark(channel), `${keys.presence(channel)}:i`, `${keys.presence(channel)}:n`, `${keys.presence(channel)}:a`]) {
      expect(keySlot(key)).toBe(slot);
    }
    expect(stream).toMatch(/^sse:\{[0-9a-z]{5}\}/);
    expect(keys.channelOf(stream)).toBe(channel);
  });

  it('spreads channels over the slots', () => {
    const keys = new RedisKeys('sse:', true);
    const slots = new Set(Array.from({ length: 1000 }, (_, i) => keySlot(keys.stream(`rooms/${i}`))));
    expect(slots.size).toBeGreaterThan(950);
  });

  it('on a cluster, is never fooled by a topic of another prefix or without a tag', () => {
    const keys = new RedisKeys('sse:', true);
    expect(keys.channelOf('sse:rooms/1')).toBeUndefined();
    expect(keys.channelOf('app:{abcde}rooms/1')).toBeUndefined();
  });
});
