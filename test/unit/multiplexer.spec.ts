import { jest } from '@jest/globals';
import { Channel } from '../../lib/channel/channel.js';
import { Multiplexer } from '../../lib/channel/multiplexer.js';
import { LocalFeed } from '../../lib/feed/local-feed.js';
import { StreamSequence } from '../../lib/feed/sequence.js';
import { formatStreamCursor } from '../../lib/model/stream-cursor.js';
import { fakeConnection, microtasks } from '../src/fakes.js';

const SETTINGS = { history: 3, historyBytes: 1_000_000, resetEvent: 'sse-reset', endEvent: 'sse-end' };

/** Channels on one sequence and one multiplexer, as the registry makes them in memory. */
function setup() {
  const sequence = new StreamSequence();
  const readFailures: unknown[] = [];
  const mux = new Multiplexer(sequence, 'sse-reset', (_channel, error) => readFailures.push(error));
  const hooks = { onBusy: jest.fn(), onIdle: jest.fn(), onReadFailure: jest.fn(), onEnded: jest.fn() };
  const channel = (name: string) =>
    new Channel(name, { resetEvent: 'sse-reset', endEvent: 'sse-end' }, (sink) => new LocalFeed(SETTINGS, undefined, sink, sequence), hooks, undefined, mux);
  const publish = (target: Channel, data: string, event?: string) => (target.feed as LocalFeed).publish(data, event);
  const cursor = (seq: number) => formatStreamCursor(sequence.epoch, seq);
  return { sequence, mux, channel, publish, cursor, hooks };
}

describe('Multiplexer', () => {
  it('writes a turn\'s events of all a stream\'s channels in publish order, in one write, with the stream\'s cursor as id', async () => {
    const { mux, channel, publish, cursor } = setup();
    const [a, b, c] = [channel('a'), channel('b'), channel('c')];
    const client = fakeConnection();
    mux.join(client.connection, [a, b], 'live');
    publish(a, '1');
    publish(c, 'not carried');
    publish(b, '2');
    publish(a, '3', 'chat');
    await microtasks();
    // (Per channel, a's batch [1, 3] would go before b's [2]: a cut after 2 would then lose nothing but repeat 3.)
    expect(client.response.chunks).toEqual([
      `event: a\nid: ${cursor(1)}\ndata: 1\n\nevent: b\nid: ${cursor(3)}\ndata: 2\n\nevent: a#chat\nid: ${cursor(4)}\ndata: 3\n\n`,
    ]);
    expect([a.clientCount, b.clientCount, c.clientCount]).toEqual([1, 1, 0]);
  });

  it('resumes from a cursor: each channel\'s missed events, merged in order, then live in the same turn — nothing twice', async () => {
    const { mux, channel, publish, cursor } = setup();
    const [a, b] = [channel('a'), channel('b')];
    publish(a, 'a1'); // 1
    publish(b, 'b1'); // 2
    publish(a, 'a2'); // 3
    publish(b, 'b2'); // 4
    const back = fakeConnection();
    mux.join(back.connection, [a, b], mux.startOf(cursor(2), undefined));
    publish(a, 'a3'); // 5, live
    await microtasks();
    expect(back.response.text).toBe(
      `event: a\nid: ${cursor(3)}\ndata: a2\n\nevent: b\nid: ${cursor(4)}\ndata: b2\n\nevent: a\nid: ${cursor(5)}\ndata: a3\n\n`,
    );
  });

  it('an event published earlier in the turn of a join is replayed once, not delivered again live', async () => {
    const { mux, channel, publish, cursor } = setup();
    const a = channel('a');
    const early = fakeConnection();
    mux.join(early.connection, [a], 'live');
    publish(a, 'x'); // queued for this turn
    const late = fakeConnection();
    mux.join(late.connection, [a], mux.startOf(cursor(0), undefined));
    await microtasks();
    expect(early.response.text).toBe(`event: a\nid: ${cursor(1)}\ndata: x\n\n`);
    expect(late.response.text).toBe(`event: a\nid: ${cursor(1)}\ndata: x\n\n`);
  });

  it('a channel that evicted what the cursor needs gets its reset (no id: the cursor does not move); a cursor of another sequence, one reset per channel', () => {
    const { mux, channel, publish, cursor } = setup();
    const [a, b] = [channel('a'), channel('b')];
    publish(b, 'b1'); // 1
    ['a1', 'a2', 'a3', 'a4'].forEach((data) => publish(a, data)); // 2..5, history keeps 3
    const back = fakeConnection();
    mux.join(back.connection, [a, b], mux.startOf(cursor(1), undefined));
    expect(back.response.text).toBe(
      `event: a#sse-reset\ndata: {"reason":"history-exceeded","lastEventId":"${cursor(1)}","channel":"a"}\n\n` +
        `event: a\nid: ${cursor(3)}\ndata: a2\n\nevent: a\nid: ${cursor(4)}\ndata: a3\n\nevent: a\nid: ${cursor(5)}\ndata: a4\n\n`,
    );
    const stranger = fakeConnection();
    mux.join(stranger.connection, [a, b], mux.startOf('other0.5', undefined));
    expect(stranger.response.text).toBe(
      'event: a#sse-reset\ndata: {"reason":"unknown-id","lastEventId":"other0.5","channel":"a"}\n\n' +
        'event: b#sse-reset\ndata: {"reason":"unknown-id","lastEventId":"other0.5","channel":"b"}\n\n',
    );
  });

  it('a channel\'s end: its members get the end event and leave it, their streams stay; a later join gets the end once, not as a member', async () => {
    const { mux, channel, publish, cursor } = setup();
    const [run, news] = [channel('runs/1'), channel('news')];
    const client = fakeConnection();
    mux.join(client.connection, [run, news], 'live');
    publish(run, '{"reason":"complete"}', 'sse-end'); // 1
    await microtasks();
    expect(client.response.text).toBe(`event: runs/1#sse-end\nid: ${cursor(1)}\ndata: {"reason":"complete"}\n\n`);
    expect([run.clientCount, news.clientCount, client.connection.closed]).toEqual([0, 1, false]);
    const late = fakeConnection();
    mux.join(late.connection, [run], 'live');
    // (Live: without its position — an old end must not move the stream's cursor back.)
    expect(late.response.text).toBe(`event: runs/1#sse-end\ndata: {"reason":"complete"}\n\n`);
    const resumed = fakeConnection();
    mux.join(resumed.connection, [run], mux.startOf(cursor(1), undefined));
    expect(resumed.response.text).toBe('');
    expect(run.clientCount).toBe(0);
  });

  it('targeted events go only to the streams they are for; leave() and close() count members out', async () => {
    const { mux, channel } = setup();
    const a = channel('a');
    const [ann, bob] = [fakeConnection('', 0, undefined, 'ann'), fakeConnection('', 0, undefined, 'bob')];
    mux.join(ann.connection, [a], 'live');
    mux.join(bob.connection, [a], 'live');
    (a.feed as LocalFeed).publish('for ann', undefined, undefined, { to: ['ann'] });
    await microtasks();
    expect(ann.response.text).toContain('for ann');
    expect(bob.response.text).toBe('');
    mux.leave(a, ann.connection, 'client');
    mux.leave(a, ann.connection, 'client');
    expect(a.clientCount).toBe(1);
    a.close();
    expect([a.clientCount, bob.connection.closed]).toEqual([0, false]);
  });

  it('replays at the pace the client reads: slices of half its queue bound, each read again from history; nothing lost or twice', async () => {
    const { mux, channel, publish, cursor } = setup();
    const [a, b] = [channel('a'), channel('b')];
    for (let i = 1; i <= 3; i++) {
      publish(a, `a${i}`);
      publish(b, `b${i}`);
    }
    const slow = fakeConnection('', 120); // slices of ~60 characters: one or two frames each
    mux.join(slow.connection, [a, b], mux.startOf(cursor(0), undefined));
    expect(slow.response.chunks.length).toBe(1);
    expect(a.clientCount).toBe(1); // counted in at once (its channels are kept), live once caught up
    publish(b, 'b4'); // published meanwhile: it comes from history, in order, not live
    await microtasks();
    for (let i = 0; i < 10 && !slow.response.text.includes('data: b4'); i++) {
      slow.response.drain();
      await microtasks();
    }
    publish(a, 'live');
    await microtasks();
    const datas = [...slow.response.text.matchAll(/data: (.*)\n/g)].map(([, data]) => data);
    expect(datas).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'b4', 'live']);
    expect(slow.response.chunks.length).toBeGreaterThan(3);
  });

  it('a client that leaves while it is replayed to is counted out and sent nothing more', async () => {
    const { mux, channel, publish, cursor } = setup();
    const a = channel('a');
    for (let i = 1; i <= 6; i++) {
      publish(a, `a${i}`);
    }
    const slow = fakeConnection('', 60);
    mux.join(slow.connection, [a], mux.startOf(cursor(0), undefined));
    const written = slow.response.chunks.length;
    slow.connection.end(undefined, 'server'); // (its session's membership leaves, as below)
    mux.leave(a, slow.connection, 'client');
    expect(a.clientCount).toBe(0);
    slow.response.drain();
    await microtasks();
    expect(slow.response.chunks.length).toBe(written);
  });
});
