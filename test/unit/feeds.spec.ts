import { jest } from '@jest/globals';
import { FROM_START } from '../../lib/feed/feed.js';
import { HistoryBudget } from '../../lib/feed/history-budget.js';
import type { ChannelEvent } from '../../lib/feed/history.js';
import { LocalFeed } from '../../lib/feed/local-feed.js';
import { SharedFeed } from '../../lib/feed/shared-feed.js';
import { compareStreamIds, parseStreamId } from '../../lib/transport/redis/stream-id.js';
import type { SseTransport, SseTransportEvent, SseTransportRead } from '../../lib/interfaces/sse-transport.interface.js';
import { microtasks } from '../src/fakes.js';

const settings = { history: 100, historyBytes: 1_000_000, resetEvent: 'sse-reset', endEvent: 'sse-end' };

class Sink {
  readonly events: ChannelEvent[] = [];
  readonly seeded: ChannelEvent[] = [];
  append = (event: ChannelEvent) => this.events.push(event);
  seed = (event: ChannelEvent) => this.seeded.push(event);
  get ids() {
    return this.events.map((e) => e.id);
  }
}

describe('LocalFeed', () => {
  it('gives ids <epoch>-<n>, keeps caller ids, and hands each event to its channel once', () => {
    const sink = new Sink();
    const feed = new LocalFeed(settings, new HistoryBudget(0), sink);
    const first = feed.publish('a', undefined);
    const caller = feed.publish('b', 'news', 'order-7');
    const third = feed.publish('c', undefined);
    expect(first).toMatch(/^[0-9a-z]+-1$/);
    expect(caller).toBe('order-7');
    expect(third).toMatch(/^[0-9a-z]+-2$/);
    expect(sink.events).toEqual([
      { id: first, event: undefined, body: `id: ${first}\ndata: a\n\n` },
      { id: 'order-7', event: 'news', body: 'id: order-7\ndata: b\n\n' },
      { id: third, event: undefined, body: `id: ${third}\ndata: c\n\n` },
    ]);
    expect(feed.lastId).toBe(third);
  });

  it('finds what a client missed by exact id; tells an evicted id of its own from an unknown one', () => {
    const feed = new LocalFeed({ ...settings, history: 2 }, undefined, new Sink());
    const ids = ['a', 'b', 'c', 'd'].map((data) => feed.publish(data, undefined)!);
    expect(feed.missed(ids[3])).toEqual({ events: [] });
    expect(feed.missed(ids[2])).toMatchObject({ events: [{ id: ids[3] }] });
    expect(feed.missed(ids[0])).toEqual({ events: [], reset: 'history-exceeded' });
    expect(feed.missed('abc-1')).toEqual({ events: [], reset: 'unknown-id' });
    expect(feed.keepsHistory).toBe(true);
    feed.dispose();
    expect(feed.keepsHistory).toBe(false);
  });

  it('calls an id of its own epoch that it never issued (ahead of its last, or not its form) unknown, not evicted', () => {
    const feed = new LocalFeed({ ...settings, history: 2 }, undefined, new Sink());
    const ids = ['a', 'b', 'c', 'd', 'e'].map((data) => feed.publish(data, undefined)!);
    const epoch = ids[0].slice(0, -'-1'.length);
    expect(ids[4]).toBe(`${epoch}-5`);
    expect(feed.missed(`${epoch}-2`)).toEqual({ events: [], reset: 'history-exceeded' });
    for (const never of [`${epoch}-55`, `${epoch}-6`, `${epoch}-0`, `${epoch}-02`, `${epoch}-x`, `${epoch}-`]) {
      expect([never, feed.missed(never)]).toEqual([never, { events: [], reset: 'unknown-id' }]);
    }
  });

  it('gives channels created in the same millisecond different ids: one channel\'s id is unknown to the other', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      const [a, b] = [new LocalFeed(settings, undefined, new Sink()), new LocalFeed(settings, undefined, new Sink())];
      const aIds = ['a1', 'a2'].map((data) => a.publish(data, undefined)!);
      const bIds = ['b1', 'b2'].map((data) => b.publish(data, undefined)!);
      expect(aIds[0]).not.toBe(bIds[0]);
      expect(b.missed(aIds[0])).toEqual({ events: [], reset: 'unknown-id' });
      expect(a.missed(bIds[0])).toEqual({ events: [], reset: 'unknown-id' });
      // Short printable ASCII, no space: what every client sends back intact.
      expect(aIds[0]).toMatch(/^[0-9a-z]{1,20}-1$/);
    } finally {
      now.mockRestore();
    }
  });
});

/** A transport whose subscriptions and reads the test answers. */
class FakeTransport implements SseTransport {
  readonly reads: { channel: string; afterId: string }[] = [];
  readonly unsubscribed: string[] = [];
  /** The shared history, as a Redis Stream would hold it. */
  stream: SseTransportEvent[] = [];
  trimmedUpTo: string | undefined = undefined;
  failReads = 0;
  private subscribed!: (newest: SseTransportEvent | undefined) => void;
  readonly subscription = new Promise<SseTransportEvent | undefined>((resolve) => (this.subscribed = resolve));

  init(): void {}
  publish(): Promise<string> {
    return Promise.reject(new Error('not in this test'));
  }
  subscribe(): Promise<SseTransportEvent | undefined> {
    return this.subscription;
  }
  confirm(newestId: string | undefined): void {
    this.subscribed(newestId === undefined ? undefined : ev(newestId));
  }
  unsubscribe(channel: string): void {
    this.unsubscribed.push(channel);
  }
  async read(channel: string, afterId: string, count: number): Promise<SseTransportRead> {
    this.reads.push({ channel, afterId });
    if (this.failReads > 0) {
      this.failReads--;
      throw new Error('Redis is not connected');
    }
    const after = this.stream.filter((e) => compareStreamIds(e.id, afterId) > 0);
    return {
      events: after.slice(0, count),
      lastId: this.stream.at(-1)?.id,
      trimmedUpTo: this.trimmedUpTo,
    };
  }
  parseId(id: string): string | undefined {
    return parseStreamId(id);
  }
  compareIds(a: string, b: string): number {
    return compareStreamIds(a, b);
  }
  close(): void {}
}

const ev = (id: string, data = id): SseTransportEvent => ({ id, event: undefined, data });

describe('SharedFeed', () => {
  function setup() {
    const transport = new FakeTransport();
    const sink = new Sink();
    const failures = jest.fn();
    const disposed = jest.fn();
    const feed = new SharedFeed('live', settings, sink, transport, new HistoryBudget(0), failures, disposed);
    return { transport, sink, feed, failures, disposed };
  }

  it('holds what arrives before it is subscribed, then hands over only what is newer than the newest id then', async () => {
    const { transport, sink, feed } = setup();
    feed.receive(ev('1-0'));
    feed.receive(ev('2-0'));
    feed.receive(ev('3-0'));
    expect(sink.ids).toEqual([]);
    transport.confirm('2-0');
    await feed.ready;
    expect(sink.ids).toEqual(['3-0']);
    feed.receive(ev('3-0')); // a duplicate
    feed.receive(ev('4-0'));
    expect(sink.ids).toEqual(['3-0', '4-0']);
    expect(feed.lastId).toBe('4-0');
  });

  it('after a lost subscription holds live events, reads what it missed, then releases the held ones without duplicates', async () => {
    const { transport, sink, feed } = setup();
    transport.confirm('1-0');
    await feed.ready;
    feed.suspend();
    transport.stream = [ev('1-0'), ev('2-0'), ev('3-0'), ev('4-0')];
    feed.receive(ev('4-0')); // arrives over the new subscription before the read
    feed.receive(ev('5-0'));
    expect(sink.ids).toEqual([]);
    await feed.resync();
    expect(transport.reads.at(-1)).toEqual({ channel: 'live', afterId: '1-0' });
    expect(sink.ids).toEqual(['2-0', '3-0', '4-0', '5-0']);
  });

  it('ignores a read that a newer resync made stale', async () => {
    const { transport, sink, feed } = setup();
    transport.confirm('1-0');
    await feed.ready;
    feed.suspend();
    transport.stream = [ev('2-0')];
    const stale = feed.resync();
    feed.suspend(); // lost again while the first read is under way
    transport.stream = [ev('2-0'), ev('3-0')];
    const fresh = feed.resync();
    await Promise.all([stale, fresh]);
    expect(sink.ids).toEqual(['2-0', '3-0']);
  });

  it('reports a failed resync and tries again after a second', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      const { transport, sink, feed, failures } = setup();
      transport.confirm('1-0');
      await feed.ready;
      feed.suspend();
      transport.failReads = 1;
      transport.stream = [ev('2-0')];
      await feed.resync();
      expect(failures).toHaveBeenCalledWith('live', expect.objectContaining({ message: 'Redis is not connected' }));
      expect(sink.ids).toEqual([]);
      jest.advanceTimersByTime(1000);
      await microtasks();
      await microtasks();
      expect(sink.ids).toEqual(['2-0']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('resumes from its window when it has all of it, else from the shared history; resets what it cannot resume', async () => {
    const { transport, sink, feed } = setup();
    transport.stream = [ev('1-0'), ev('2-0'), ev('3-0')];
    transport.confirm('3-0');
    await feed.ready;
    feed.receive(ev('4-0'));
    feed.receive(ev('5-0'));
    transport.stream.push(ev('4-0'), ev('5-0'));
    expect(feed.missed('4-0')).toMatchObject({ events: [{ id: '5-0' }] }); // from the window: no read
    expect(transport.reads).toHaveLength(0);
    expect(await feed.missed('1-0')).toMatchObject({ events: [{ id: '2-0' }, { id: '3-0' }, { id: '4-0' }, { id: '5-0' }] });
    expect(transport.reads.at(-1)?.afterId).toBe('1-0');
    expect(feed.missed('not-an-id')).toEqual({ events: [], reset: 'unknown-id' });
    expect(await feed.missed('9-0')).toEqual({ events: [], reset: 'unknown-id' }); // newer than anything in the Stream
    transport.trimmedUpTo = '2-0';
    expect(await feed.missed('1-0')).toEqual({ events: [], reset: 'history-exceeded' });
    expect(sink.ids).toEqual(['4-0', '5-0']);
  });

  it('a client ahead of this instance moves the whole channel forward, without a gap', async () => {
    const { transport, sink, feed } = setup();
    transport.stream = [ev('1-0')];
    transport.confirm('1-0');
    await feed.ready;
    // Published elsewhere; this instance's subscription has not delivered them yet.
    transport.stream.push(ev('2-0'), ev('3-0'), ev('4-0'));
    const missed = await feed.missed('3-0');
    expect(transport.reads.at(-1)?.afterId).toBe('1-0');
    expect(sink.ids).toEqual(['2-0', '3-0', '4-0']);
    expect(missed).toMatchObject({ events: [{ id: '4-0' }] });
  });

  it('from the start: the whole shared history, the reset first if its oldest are gone; nothing missed while it reads', async () => {
    const { transport, feed } = setup();
    transport.stream = [ev('1-0'), ev('2-0')];
    transport.confirm('2-0');
    await feed.ready;
    expect(await feed.missed(FROM_START)).toMatchObject({ events: [{ id: '1-0' }, { id: '2-0' }], reset: undefined });
    transport.trimmedUpTo = '1-0';
    expect(await feed.missed(FROM_START)).toMatchObject({ events: [{ id: '1-0' }, { id: '2-0' }], reset: 'history-exceeded' });

    const empty = setup();
    empty.transport.confirm(undefined);
    await empty.feed.ready;
    const reading = empty.feed.missed(FROM_START);
    empty.feed.receive(ev('1-0')); // published while the read is under way
    expect(await reading).toMatchObject({ events: [{ id: '1-0' }] });
  });

  it('unsubscribes once when disposed', async () => {
    const { transport, feed, disposed } = setup();
    transport.confirm(undefined);
    await feed.ready;
    feed.dispose();
    feed.dispose();
    expect(transport.unsubscribed).toEqual(['live']);
    expect(disposed).toHaveBeenCalledTimes(1);
  });
});
