import { jest } from '@jest/globals';
import { EndedChannels } from '../../lib/registry/ended-channels.js';
import { IdleWatch } from '../../lib/registry/idle-watch.js';

describe('EndedChannels', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('remembers an end for its time, and at most so many (the oldest forgotten first)', () => {
    const ended = new EndedChannels(1000, 2);
    ended.remember('a', 'a-9');
    ended.remember('b', 'b-3');
    expect([ended.endIdOf('a'), ended.endIdOf('b')]).toEqual(['a-9', 'b-3']);
    ended.remember('c', 'c-1');
    expect([ended.endIdOf('a'), ended.endIdOf('c'), ended.size]).toEqual([undefined, 'c-1', 2]);
    jest.advanceTimersByTime(1001);
    expect(ended.endIdOf('b')).toBeUndefined();
  });
});

describe('IdleWatch (cancelWhenIdle)', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] }));
  afterEach(() => jest.useRealTimers());
  const flush = () => new Promise<void>((resolve) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(resolve));

  it('fires once after the time without a client; a client stops the clock, its leaving starts it again', async () => {
    let clients = 0;
    const onIdle = jest.fn();
    const watch = new IdleWatch(100, onIdle, () => clients, () => Promise.resolve(0));
    watch.arm();
    jest.advanceTimersByTime(60);
    clients = 1;
    watch.stop(); // a client arrived
    jest.advanceTimersByTime(500);
    clients = 0;
    watch.arm(); // it left
    jest.advanceTimersByTime(99);
    await flush();
    expect(onIdle).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await flush();
    expect(onIdle).toHaveBeenCalledTimes(1);
    watch.arm();
    jest.advanceTimersByTime(1000);
    await flush();
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does not fire while another instance has clients, and asks again later', async () => {
    let elsewhere = 1;
    const asked = jest.fn(() => Promise.resolve(elsewhere));
    const onIdle = jest.fn();
    const watch = new IdleWatch(100, onIdle, () => 0, asked);
    watch.arm();
    jest.advanceTimersByTime(100);
    await flush();
    expect([asked.mock.calls.length, onIdle.mock.calls.length]).toEqual([1, 0]);
    elsewhere = 0;
    jest.advanceTimersByTime(100);
    await flush();
    expect([asked.mock.calls.length, onIdle.mock.calls.length]).toEqual([2, 1]);
  });
});
