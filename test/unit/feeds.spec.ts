import { jest } from '@jest/globals';
import { FROM_START } from '../../lib/feed/feed.js';
import { HistoryBudget } from '../../lib/feed/history-budget.js';
import type { ChannelEvent } from '../../lib/feed/history.js';
import { LocalFeed } from '../../lib/feed/local-feed.js';
import { LocalFeeds } from '../../lib/feed/local-feeds.js';
import { StreamSequence } from '../../lib/feed/sequence.js';
import type { ChannelFeed, ChannelSettings, MissedSince } from '../../lib/feed/feed.js';
import { SharedFeed } from '../../lib/feed/shared-feed.js';
import { compareStreamIds, parseStreamId } from '../../lib/transport/redis/stream-id.js';
import type { SseTransport, SseTransportEvent, SseTransportRead, SseTransportReadSince } from '../../lib/interfaces/sse-transport.interface.js';
import { toReadSince } from '../../lib/transport/redis/stream-entry.js';
import { microtasks } from '../src/fakes.js';

const settings = { history: 100, historyBytes: 1_000_000, resetEvent: 'sse-reset', endEvent: 'sse-end' };

class Sink {
  readonly events: ChannelEvent[] = [];
  readonly seeded: ChannelEvent[] = [];
  append = (event: ChannelEvent) => this.events.push(event);
  seed = (event: ChannelEvent) => this.seeded.push(event);
  readonly gaps: string[] = [];
  gap = (reason: string) => this.gaps.push(reason);
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
      { id: first, event: undefined, body: `id: ${first}\ndata: a\n\n`, seq: 1, epoch: feed['sequence'].epoch },
      { id: 'order-7', event: 'news', body: 'id: order-7\ndata: b\n\n', seq: 2, epoch: feed['sequence'].epoch },
      { id: third, event: undefined, body: `id: ${third}\ndata: c\n\n`, seq: 3, epoch: feed['sequence'].epoch },
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

describe('LocalFeed: the sequence across channels (missedSince)', () => {
  /** A source of local feeds with its channel map, as the registry holds it. */
  function source(channelSettings: Partial<ChannelSettings> = {}, budget = new HistoryBudget(0)) {
    const feeds = new Map<string, ChannelFeed>();
    const lookup = {
      feedOf: (name: string) => feeds.get(name) ?? open(name),
      disposeIfIdle: () => {},
    };
    const local = new LocalFeeds(lookup, budget);
    function open(name: string): LocalFeed {
      const feed = local.create(name, { ...settings, ...channelSettings }, new Sink());
      feeds.set(name, feed);
      return feed;
    }
    const feed = (name: string) => lookup.feedOf(name) as LocalFeed;
    const publish = async (channel: string, data: string, event?: string) => {
      await local.publish(request(channel, data, event));
      return local.sequence.current;
    };
    return { local, feed, publish, drop: (name: string) => feeds.delete(name) };
  }
  const seqs = (missed: { events: readonly ChannelEvent[] }) => missed.events.map((e) => e.seq);
  /** What a stream at `seq` of the feed's own sequence missed (without `upTo` and `epoch`, checked on their own below). */
  const since = (feed: LocalFeed, seq: number) => {
    const { upTo, epoch, ...missed } = feed.missedSince(seq, feed['sequence'].epoch);
    expect([upTo, epoch]).toEqual([Infinity, feed['sequence'].epoch]);
    return missed;
  };
  const request = (channel: string, data: string, event?: string) => ({ channel, data, event, id: undefined, history: 100, historyTtl: 0, endEvent: 'sse-end' });

  it('stamps every event of every channel with the next position of one sequence; each channel answers for its own', async () => {
    const { local, feed, publish } = source();
    expect(local.sequence).toBeInstanceOf(StreamSequence);
    const [a, b] = [feed('a'), feed('b')];
    for (const [channel, data] of [['a', 'a1'], ['b', 'b1'], ['a', 'a2'], ['a', 'a3'], ['b', 'b2'], ['a', 'a4']]) {
      await publish(channel, data);
    }
    expect(local.sequence.current).toBe(6);
    expect(a.missed(FROM_START).events.map((e) => [e.seq, e.body.split('data: ')[1].trim()])).toEqual([
      [1, 'a1'],
      [3, 'a2'],
      [4, 'a3'],
      [6, 'a4'],
    ]);
    expect(seqs(since(a, 0))).toEqual([1, 3, 4, 6]);
    expect(seqs(since(b, 0))).toEqual([2, 5]);
    expect(seqs(since(a, 2))).toEqual([3, 4, 6]);
    expect(seqs(since(b, 2))).toEqual([5]);
    expect(since(a, 3)).toEqual({ events: [expect.objectContaining({ seq: 4 }), expect.objectContaining({ seq: 6 })] });
    expect(since(b, 5)).toEqual({ events: [] }); // b has nothing after 5; a has 6
    expect(seqs(since(a, 5))).toEqual([6]);
    // Merged by seq, the two channels give the whole sequence once.
    const merged = [...since(a, 1).events, ...since(b, 1).events].map((e) => e.seq!).sort((x, y) => x - y);
    expect(merged).toEqual([2, 3, 4, 5, 6]);
  });

  it('misses nothing at or above the current position', async () => {
    const { feed, publish } = source();
    const a = feed('a');
    const last = await publish('a', 'x');
    expect(since(a, last)).toEqual({ events: [] });
    expect(since(a, last + 10)).toEqual({ events: [] });
    expect(since(a, Number.MAX_SAFE_INTEGER)).toEqual({ events: [] });
  });

  it('c = 0 on a feed born at 0: everything it keeps, no reset', async () => {
    const { feed, publish } = source();
    const a = feed('a');
    await publish('a', '1');
    await publish('a', '2');
    expect(since(a, 0)).toEqual({ events: [expect.objectContaining({ seq: 1 }), expect.objectContaining({ seq: 2 })] });
    expect(since(new LocalFeed(settings, undefined, new Sink()), 0)).toEqual({ events: [] });
  });

  it('evicted by count: history-exceeded only when an evicted event is newer than c, with what is still kept', async () => {
    const { feed, publish } = source({ history: 2 });
    const [a] = [feed('a'), feed('b')];
    for (const channel of ['a', 'b', 'a', 'b', 'a', 'a']) {
      await publish(channel, 'x'); // a: 1, 3, 5, 6 (keeps 5, 6; evicted 1 and 3)
    }
    expect(since(a, 0)).toEqual({ events: [expect.objectContaining({ seq: 5 }), expect.objectContaining({ seq: 6 })], reset: 'history-exceeded' });
    expect(seqs(since(a, 2))).toEqual([5, 6]);
    expect(since(a, 2).reset).toBe('history-exceeded'); // 3 is gone
    expect(since(a, 3)).toEqual({ events: [expect.objectContaining({ seq: 5 }), expect.objectContaining({ seq: 6 })] });
    expect(since(a, 4)).toEqual({ events: [expect.objectContaining({ seq: 5 }), expect.objectContaining({ seq: 6 })] });
    expect(seqs(since(a, 5))).toEqual([6]);
  });

  it('evicted by bytes, by the global budget, or never kept (history 0): history-exceeded past the newest evicted', async () => {
    const bytes = source({ historyBytes: 60 });
    const a = bytes.feed('a');
    await bytes.publish('a', 'small'); // 1
    await bytes.publish('a', 'x'.repeat(40)); // 2: pushes 1 out
    await bytes.publish('a', 'y'.repeat(40)); // 3: pushes 2 out
    expect(since(a, 1)).toEqual({ events: [expect.objectContaining({ seq: 3 })], reset: 'history-exceeded' });
    expect(since(a, 2)).toEqual({ events: [expect.objectContaining({ seq: 3 })] });

    const budget = source({}, new HistoryBudget(150)); // each event below is about 60 bytes
    const [idle, busy] = [budget.feed('idle'), budget.feed('busy')];
    busy.setActive(true);
    await budget.publish('idle', 'i'.repeat(30)); // 1
    await budget.publish('busy', 'b'.repeat(30)); // 2
    await budget.publish('busy', 'b'.repeat(30)); // 3: over 150 → idle's 1 goes (the oldest of an idle channel)
    expect(since(idle, 0)).toEqual({ events: [], reset: 'history-exceeded' });
    expect(since(busy, 0)).toEqual({ events: [expect.objectContaining({ seq: 2 }), expect.objectContaining({ seq: 3 })] });
    expect(since(idle, 1)).toEqual({ events: [] });

    const none = source({ history: 0 });
    const z = none.feed('z');
    await none.publish('z', 'gone'); // 1
    expect(since(z, 0)).toEqual({ events: [], reset: 'history-exceeded' });
    expect(since(z, 1)).toEqual({ events: [] });
  });

  it('a feed made after c owes unknown-id (a former life of its name may have published), with what it keeps', async () => {
    const { feed, publish, drop } = source();
    feed('a');
    await publish('a', 'old'); // 1
    await publish('b', 'other'); // 2
    drop('a'); // dropped (idle past history.ttl) and made again
    const again = feed('a');
    await publish('a', 'new'); // 3
    expect(since(again, 0)).toEqual({ events: [expect.objectContaining({ seq: 3 })], reset: 'unknown-id' });
    expect(since(again, 1)).toEqual({ events: [expect.objectContaining({ seq: 3 })], reset: 'unknown-id' });
    expect(since(again, 2)).toEqual({ events: [expect.objectContaining({ seq: 3 })] }); // born at 2: nothing before it to miss
    const fresh = feed('c'); // born at 3, nothing published
    expect(since(fresh, 1)).toEqual({ events: [], reset: 'unknown-id' });
    expect(since(fresh, 3)).toEqual({ events: [] });
  });

  it('an ended feed answers as usual: its end event is an event; nothing is stamped after it', async () => {
    const { local, feed, publish } = source();
    const a = feed('a');
    await publish('a', 'last');
    await publish('a', 'done', 'sse-end');
    await expect(local.publish(request('a', 'late'))).rejects.toThrow();
    expect(local.sequence.current).toBe(2);
    expect(since(a, 0).events.map((e) => [e.seq, e.event])).toEqual([
      [1, undefined],
      [2, 'sse-end'],
    ]);
    expect(since(a, 1)).toEqual({ events: [expect.objectContaining({ seq: 2, event: 'sse-end' })] });
  });

  it('a position of another sequence (another process, a restart) is unknown-id with nothing; from the start owes no birth reset', async () => {
    const { local, feed, publish, drop } = source();
    feed('a');
    await publish('a', 'old'); // 1
    drop('a');
    const again = feed('a'); // born at 1
    await publish('a', 'new'); // 2
    expect(again.missedSince(0, 'someotherepoch')).toEqual({ events: [], reset: 'unknown-id', upTo: Infinity, epoch: local.sequence.epoch });
    // From the start (no epoch): everything it keeps; only what it dropped would owe a reset.
    expect(again.missedSince(0, undefined)).toEqual({ events: [expect.objectContaining({ seq: 2, epoch: local.sequence.epoch })], reset: undefined, upTo: Infinity, epoch: local.sequence.epoch });
  });

  it('keeps the seq order across its internal compaction (binary search)', () => {
    const sequence = new StreamSequence();
    const feed = new LocalFeed({ ...settings, history: 10 }, undefined, new Sink(), sequence);
    for (let i = 0; i < 5000; i++) {
      feed.publish(String(i), undefined);
      sequence.next(); // another channel's event in between
    }
    expect(seqs(since(feed, 9990))).toEqual([9991, 9993, 9995, 9997, 9999]);
    expect(since(feed, 9980)).toMatchObject({ events: { length: 10 } });
    expect(since(feed, 9980).reset).toBeUndefined();
    expect(since(feed, 9978).reset).toBe('history-exceeded');
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
  /** What the next readSince() calls answer, in order; each call is noted. */
  readonly sinceReplies: SseTransportReadSince[] = [];
  readonly sinceReads: { seq: number; fromStart: boolean }[] = [];
  async readSince(_channel: string, seq: number, _count: number, fromStart: boolean): Promise<SseTransportReadSince> {
    this.sinceReads.push({ seq, fromStart });
    const reply = this.sinceReplies.shift();
    if (!reply) throw new Error('no reply scripted');
    return reply;
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

describe('SharedFeed by position in the sequence across channels (missedSince)', () => {
  /** An event at position `seq` of sequence e1. */
  const at = (id: string, seq: number, epoch = 'e1'): SseTransportEvent => ({ id, event: undefined, data: id, seq, epoch });
  async function started(history = 100) {
    const transport = new FakeTransport();
    const feed = new SharedFeed('live', { ...settings, history }, new Sink(), transport, new HistoryBudget(0), jest.fn(), jest.fn());
    transport.confirm('1-0');
    await feed.ready;
    return { transport, feed };
  }
  const seqsOf = (missed: { events: readonly ChannelEvent[] }) => missed.events.map((e) => e.seq);

  it('reads the shared history first; from then on answers from its window for any position at or after what that read saw', async () => {
    const { transport, feed } = await started();
    transport.sinceReplies.push({ epoch: 'e1', current: 10, events: [at('5-0', 5), at('9-0', 9)], missing: undefined });
    const first = await feed.missedSince(3, 'e1');
    expect(first).toEqual({ events: [expect.objectContaining({ seq: 5 }), expect.objectContaining({ seq: 9 })], reset: undefined, upTo: 10, epoch: 'e1' });
    feed.receive(at('11-0', 11));
    feed.receive(at('14-0', 14));
    // At or after 10: the window has every event since (no read).
    const fromWindow = feed.missedSince(10, 'e1');
    expect(fromWindow).not.toBeInstanceOf(Promise);
    expect(seqsOf(fromWindow as MissedSince)).toEqual([11, 14]);
    expect((fromWindow as { upTo: number }).upTo).toBe(Infinity);
    expect(seqsOf(feed.missedSince(12, 'e1') as MissedSince)).toEqual([14]);
    // Before 10: the window cannot tell; read again.
    transport.sinceReplies.push({ epoch: 'e1', current: 14, events: [at('9-0', 9), at('11-0', 11), at('14-0', 14)], missing: undefined });
    const read = feed.missedSince(8, 'e1');
    expect(read).toBeInstanceOf(Promise);
    expect(seqsOf(await read)).toEqual([9, 11, 14]);
    expect(transport.sinceReads.map((r) => r.seq)).toEqual([3, 8]);
  });

  it('a full page is complete only up to its last event; trimmed and unknown become the two resets; another epoch is unknown-id alone', async () => {
    const { transport, feed } = await started();
    const page = Array.from({ length: 100 }, (_, i) => at(`${i + 2}-0`, i + 2));
    transport.sinceReplies.push({ epoch: 'e1', current: 500, events: page, missing: 'trimmed' });
    expect(await feed.missedSince(1, 'e1')).toMatchObject({ reset: 'history-exceeded', upTo: 101 });
    transport.sinceReplies.push({ epoch: 'e1', current: 500, events: [], missing: 'unknown' });
    expect(await feed.missedSince(1, 'e1')).toMatchObject({ events: [], reset: 'unknown-id', upTo: 500 });
    transport.sinceReplies.push({ epoch: 'e2', current: 7, events: [at('3-0', 3, 'e2')], missing: undefined });
    expect(await feed.missedSince(1, 'e1')).toEqual({ events: [], reset: 'unknown-id', upTo: 7, epoch: 'e2' });
    // From the start: any epoch, flagged to the transport.
    transport.sinceReplies.push({ epoch: 'e2', current: 7, events: [at('3-0', 3, 'e2')], missing: undefined });
    expect(seqsOf(await feed.missedSince(0, undefined))).toEqual([3]);
    expect(transport.sinceReads.at(-1)).toEqual({ seq: 0, fromStart: true });
  });

  it('no answer from the window while it holds events back (subscription lost), after it dropped some, or once it saw two epochs', async () => {
    const { transport, feed } = await started(5);
    /** Whether it answered from its window (a read, unscripted here, is let go). */
    const fromWindow = (seq: number, epoch: string) => {
      const answer = feed.missedSince(seq, epoch);
      if (answer instanceof Promise) {
        answer.catch(() => undefined);
        return false;
      }
      return true;
    };
    transport.sinceReplies.push({ epoch: 'e1', current: 10, events: [], missing: undefined });
    await feed.missedSince(10, 'e1');
    expect(fromWindow(10, 'e1')).toBe(true);
    feed.suspend();
    expect(fromWindow(10, 'e1')).toBe(false);
    await feed.resync();
    expect(fromWindow(10, 'e1')).toBe(true);
    // Its window keeps 5: 20 events later, a position before the dropped ones is read.
    for (let seq = 11; seq <= 30; seq++) feed.receive(at(`${seq}-0`, seq));
    expect(fromWindow(12, 'e1')).toBe(false);
    expect(fromWindow(29, 'e1')).toBe(true);
    feed.receive(at('31-0', 1, 'e2')); // the shared sequence was made anew
    expect(fromWindow(29, 'e1')).toBe(false);
    expect(fromWindow(1, 'e2')).toBe(false);
  });
});

describe('toReadSince: what may be missing before the first event read after position p', () => {
  const reply = (boundary: string, current = 20) => ['e1', String(current), boundary, []];
  it.each([
    ['kept', 5, false, undefined],
    ['7', 5, false, 'trimmed'], // the oldest entry's previous event (7) is after 5: it was trimmed
    ['5', 5, false, undefined],
    ['3', 5, false, undefined],
    ['b9', 5, false, 'unknown'], // born at 9: a former Stream may have had events after 5
    ['b5', 5, false, undefined],
    ['b9', 0, true, undefined], // from the start: only trimming counts
    ['?', 5, false, 'trimmed'], // a Stream that keeps no entry
    ['empty', 5, false, 'trimmed'],
    ['none', 5, false, 'unknown'], // no Stream, no watch mark
    ['none', 0, true, undefined],
    ['7', 20, false, undefined], // nothing published since p anywhere: nothing can be missing
  ])('boundary %s, position %d, from the start %s → %s', (boundary, after, fromStart, missing) => {
    expect(toReadSince(reply(boundary), 'tag', after, fromStart).missing).toBe(missing);
  });
  it('reads the entries with their positions and epoch, tagged', () => {
    const read = toReadSince(['e1', '9', 'kept', [['4-0', ['e', '', 'd', 'x', 's', '8', 'q', 'e1', 'p', '2']]]], 'tag', 2, false);
    expect(read).toEqual({ epoch: 'e1', current: 9, events: [{ id: '4-0.tag', event: undefined, data: 'x', audience: undefined, seq: 8, epoch: 'e1' }], missing: undefined });
  });
});
