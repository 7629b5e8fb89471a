import { jest } from '@jest/globals';
import { Channel } from '../../lib/channel/channel.js';
import { Multiplexer } from '../../lib/channel/multiplexer.js';
import type { ChannelFeed, FeedSink, MissedSince } from '../../lib/feed/feed.js';
import type { ChannelEvent } from '../../lib/feed/history.js';
import { formatStreamCursor } from '../../lib/model/stream-cursor.js';
import { fakeConnection } from '../src/fakes.js';

/** Lets every pending promise and turn settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const EPOCH = 'e1';

/** An event at position `seq` of the shared sequence. */
const at = (seq: number, data = `d${seq}`): ChannelEvent => ({ id: `${seq}-0`, event: undefined, body: `id: ${seq}-0\ndata: ${data}\n\n`, seq, epoch: EPOCH });
const frame = (channel: string, seq: number, data = `d${seq}`) => `event: ${channel}\nid: ${formatStreamCursor(EPOCH, seq)}\ndata: ${data}\n\n`;

/**
 * A feed whose answers the test scripts, as a shared feed gives them: each
 * call to `missedSince()` takes the next answer — a value (from its window, in
 * this turn) or a promise the test settles (a read of the shared history).
 */
class ScriptedFeed implements ChannelFeed {
  readonly lastId = undefined;
  readonly ready = undefined;
  readonly keepsHistory = false;
  readonly asked: number[] = [];
  readonly answers: (MissedSince | Promise<MissedSince>)[] = [];
  sink!: FeedSink;
  missed(): never {
    throw new Error('not on a stream of many channels');
  }
  missedSince(seq: number): MissedSince | Promise<MissedSince> {
    this.asked.push(seq);
    const answer = this.answers.shift();
    if (answer === undefined) {
      throw new Error(`no answer scripted for position ${seq}`);
    }
    return answer;
  }
  setActive(): void {}
  dispose(): void {}
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function setup(seen = 0) {
  const failures: [string, unknown][] = [];
  const mux = new Multiplexer({ seen: (epoch) => (epoch === EPOCH ? seen : 0) }, 'sse-reset', (channel, error) => failures.push([channel, error]));
  const hooks = { onBusy: jest.fn(), onIdle: jest.fn(), onReadFailure: jest.fn(), onEnded: jest.fn() };
  const channel = (name: string) => {
    const feed = new ScriptedFeed();
    const made = new Channel(
      name,
      { resetEvent: 'sse-reset', endEvent: 'sse-end' },
      (sink) => {
        feed.sink = sink;
        return feed;
      },
      hooks,
      undefined,
      mux,
    );
    return { channel: made, feed };
  };
  return { mux, channel, failures };
}

describe('Multiplexer over shared feeds (answers read asynchronously)', () => {
  it('merges paged reads up to the lowest page end, asks again from there, and goes live only on answers from memory', async () => {
    const { mux, channel } = setup(20);
    const a = channel('a');
    const b = channel('b');
    const readA = deferred<MissedSince>();
    const readB = deferred<MissedSince>();
    a.feed.answers.push(readA.promise, { events: [at(8)], upTo: Infinity, epoch: EPOCH });
    b.feed.answers.push(readB.promise, { events: [at(7), at(9)], upTo: Infinity, epoch: EPOCH });
    const client = fakeConnection();
    mux.join(client.connection, [a.channel, b.channel], mux.startOf(formatStreamCursor(EPOCH, 1), undefined));
    expect([a.channel.clientCount, b.channel.clientCount]).toEqual([1, 1]); // counted in at once
    // a's read filled its page up to 5; b's read has everything up to 20 (7 and 9 among it).
    readA.resolve({ events: [at(2), at(5)], upTo: 5, epoch: EPOCH });
    readB.resolve({ events: [at(3), at(7), at(9)], upTo: 20, epoch: EPOCH });
    await settle();
    client.response.drain();
    await settle();
    // Then both asked again after 5, answered from memory: 7, 8, 9 in order, and live.
    expect(a.feed.asked).toEqual([1, 5]);
    expect(b.feed.asked).toEqual([1, 5]);
    expect(client.response.text).toBe(frame('a', 2) + frame('b', 3) + frame('a', 5) + frame('b', 7) + frame('a', 8) + frame('b', 9));
    a.channel.append(at(21));
    await settle();
    expect(client.response.text.endsWith(frame('a', 21))).toBe(true);
  });

  it('an event published while the reads are out is neither lost nor sent twice: the next round (from memory) has it', async () => {
    const { mux, channel } = setup(10);
    const a = channel('a');
    const read = deferred<MissedSince>();
    a.feed.answers.push(read.promise, { events: [at(11)], upTo: Infinity, epoch: EPOCH });
    const client = fakeConnection();
    const other = fakeConnection();
    mux.join(other.connection, [a.channel], 'live');
    mux.join(client.connection, [a.channel], mux.startOf(formatStreamCursor(EPOCH, 3), undefined));
    a.channel.append(at(11)); // live, while the client catches up
    await settle();
    expect(other.response.text).toBe(frame('a', 11));
    expect(client.response.text).toBe('');
    read.resolve({ events: [at(4)], upTo: 10, epoch: EPOCH });
    await settle();
    client.response.drain();
    await settle();
    expect(client.response.text).toBe(frame('a', 4) + frame('a', 11));
  });

  it('a cursor ahead of what this instance has received: live events up to it are skipped once, later ones delivered', async () => {
    const { mux, channel } = setup(8); // this instance has received up to 8
    const a = channel('a');
    a.feed.answers.push({ events: [], upTo: Infinity, epoch: EPOCH });
    const client = fakeConnection();
    mux.join(client.connection, [a.channel], mux.startOf(formatStreamCursor(EPOCH, 10), undefined));
    a.channel.append(at(9)); // late here; the client had it from the instance it came from
    a.channel.append(at(11));
    a.channel.append(at(10)); // (not in order: the floor went at 11)
    await settle();
    expect(client.response.text).toBe(frame('a', 11) + frame('a', 10));
  });

  it('a read that fails: reported with its channel, the stream ends (its client reconnects with its cursor)', async () => {
    const { mux, channel, failures } = setup(5);
    const a = channel('a');
    const b = channel('b');
    a.feed.answers.push({ events: [], upTo: Infinity, epoch: EPOCH });
    b.feed.answers.push(Promise.reject(new Error('Redis is down')));
    const client = fakeConnection();
    mux.join(client.connection, [a.channel, b.channel], mux.startOf(formatStreamCursor(EPOCH, 1), undefined));
    await settle();
    expect(failures).toEqual([['b', new Error('Redis is down')]]);
    expect(client.connection.closed).toBe(true);
  });

  it('answers that never come from memory (a window that cannot answer): the stream ends after a bounded number of rounds', async () => {
    const { mux, channel } = setup(5);
    const a = channel('a');
    for (let i = 0; i < 40; i++) {
      a.feed.answers.push(Promise.resolve({ events: [], upTo: 5, epoch: EPOCH }));
    }
    const client = fakeConnection();
    mux.join(client.connection, [a.channel], mux.startOf(formatStreamCursor(EPOCH, 1), undefined));
    for (let i = 0; i < 40 && !client.connection.closed; i++) {
      await settle();
    }
    expect(client.connection.closed).toBe(true);
    expect(a.feed.asked.length).toBe(17); // 16 reads, then the 17th answer is not waited for
  });

  it('a sequence made anew (another epoch in the answers): one reset per channel, then on from the new position', async () => {
    const { mux, channel } = setup(0);
    const a = channel('a');
    a.feed.answers.push(Promise.resolve({ events: [], reset: 'unknown-id', upTo: 3, epoch: 'e2' }), {
      events: [{ ...at(4), epoch: 'e2' }],
      upTo: Infinity,
      epoch: 'e2',
    });
    const client = fakeConnection();
    const cursor = formatStreamCursor(EPOCH, 50);
    mux.join(client.connection, [a.channel], mux.startOf(cursor, undefined));
    await settle();
    client.response.drain(); // (the next slice once the reset is read)
    await settle();
    expect(a.feed.asked).toEqual([50, 3]);
    expect(client.response.text).toBe(
      `event: a#sse-reset\ndata: {"reason":"unknown-id","lastEventId":"${cursor}","channel":"a"}\n\n` + `event: a\nid: ${formatStreamCursor('e2', 4)}\ndata: d4\n\n`,
    );
  });

  it('restart() ends every stream of many channels (the subscription came back: they resume by cursor)', () => {
    const { mux, channel } = setup();
    const a = channel('a');
    const b = channel('b');
    a.feed.answers.push({ events: [], upTo: Infinity, epoch: EPOCH });
    const [one, two] = [fakeConnection(), fakeConnection()];
    mux.join(one.connection, [a.channel, b.channel], 'live');
    mux.join(two.connection, [b.channel], 'live');
    mux.restart();
    expect([one.connection.closed, two.connection.closed]).toEqual([true, true]);
  });
});
