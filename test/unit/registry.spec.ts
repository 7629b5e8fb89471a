import { jest } from '@jest/globals';
import { ChannelRegistry } from '../../lib/streaming/channel-registry.js';
import { IdleSweeper } from '../../lib/streaming/idle-sweeper.js';
import { resolveModuleOptions } from '../../lib/sse-options.js';
import { fakeConnection } from '../src/fakes.js';

describe('ChannelRegistry (in memory)', () => {
  const registry = (options = {}) => {
    const created = new ChannelRegistry(resolveModuleOptions({ historyTtl: 1000, ...options }));
    void created.onModuleInit();
    return created;
  };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps a channel with history after a publish, and drops one with history 0 at once', async () => {
    const r = registry({ channels: { 'off/:id': { history: 0 } } });
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
