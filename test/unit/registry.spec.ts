import { PRESENCE_BATCH_MS } from '../../lib/presence/announcement-batch.js';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { FROM_START, type Missed } from '../../lib/feed/feed.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { IdleSweeper } from '../../lib/registry/idle-sweeper.js';
import { resolveModuleOptions } from '../../lib/options/module-options.js';
import { fakeConnection } from '../src/fakes.js';

describe('ChannelRegistry (in memory)', () => {
  const registry = (options = {}) => {
    const created = new ChannelRegistry(resolveModuleOptions({ history: { ttl: 1000 }, ...options }));
    void created.onModuleInit();
    return created;
  };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps a channel with history after a publish, and drops one with history 0 at once', async () => {
    const r = registry({ channels: { 'off/:id': { size: 0 } } });
    await r.publish('kept', 'x', undefined, undefined);
    await r.publish('off/1', 'x', undefined, undefined);
    expect(r.get('kept')?.feed.keepsHistory).toBe(true);
    expect(r.get('off/1')).toBeUndefined();
  });

  it('drops a channel idle for historyTtl, from one timer that stops when no idle channel is left', async () => {
    const r = registry();
    await r.publish('a', 'x', undefined, undefined);
    const channel = await r.acquire('b');
    const { connection } = fakeConnection();
    channel.join(connection);
    r.release(channel);
    jest.advanceTimersByTime(999);
    expect(r.get('a')).toBeDefined();
    jest.advanceTimersByTime(1000);
    expect(r.get('a')).toBeUndefined();
    expect(r.get('b')).toBe(channel); // it has a client
    expect(r.historyBudget.total).toBe(0); // a's history went back to the budget
    channel.leave(connection, 'client');
    expect(r.get('b')).toBeUndefined(); // no clients, no history: at once
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps a channel somebody is about to join', async () => {
    const r = registry();
    const channel = await r.acquire('c');
    jest.advanceTimersByTime(5000);
    expect(r.get('c')).toBe(channel);
    r.release(channel);
    expect(r.get('c')).toBeUndefined();
  });
});

describe('ChannelRegistry: nothing after a channel\'s end', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('appends no presence leave (nor any publish) to an in-memory channel after its end', async () => {
    const r = new ChannelRegistry(resolveModuleOptions({ identities: { presenceLeaveDelay: 100 } }));
    await r.onModuleInit();
    r.presence.addTemplate((name) => name === 'run/1');
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      r.presence.joined('run/1', 'ada', true);
      await flush();
      jest.advanceTimersByTime(PRESENCE_BATCH_MS); // (the join's announcement goes out with its batch)
      await flush();
      await r.publish('run/1', '{"channel":"run/1","reason":"ended"}', r.options.events.end, undefined);
      const channel = r.get('run/1')!;
      // The run's client leaves as its response ends: its leave is due after the delay.
      r.presence.left('run/1', 'ada');
      jest.advanceTimersByTime(100);
      await flush();
      await expect(r.publish('run/1', 'late', undefined, undefined)).rejects.toThrow('Channel "run/1" has ended');
      expect(r.get('run/1')).toBe(channel);
      expect(channel.stats.published).toBe(2);
      const history = (channel.feed.missed(FROM_START) as Missed).events;
      expect(history.map((event) => event.event)).toEqual(['sse-join', 'sse-end']);
      expect(warned).not.toHaveBeenCalled(); // an ended channel's leave is not announced at all
    } finally {
      warned.mockRestore();
    }
  });
});

describe('IdleSweeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('with ttl 0 keeps idle channels for good and runs no timer', () => {
    const drop = jest.fn();
    const sweeper = new IdleSweeper(0, () => [{ clientCount: 0, waiting: 0, idleSince: 0 }], drop);
    sweeper.watch();
    expect(sweeper.running).toBe(false);
    jest.advanceTimersByTime(1e9);
    expect(drop).not.toHaveBeenCalled();
  });
});
