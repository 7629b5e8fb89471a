import { jest } from '@jest/globals';
import { Channel } from '../../lib/channel/channel.js';
import { FROM_START } from '../../lib/feed/feed.js';
import { entry, fakeConnection, microtasks, ScriptedFeed } from '../src/fakes.js';

function setup() {
  const feed = new ScriptedFeed();
  const hooks = { onBusy: jest.fn(), onIdle: jest.fn(), onReadFailure: jest.fn(), onEnded: jest.fn() };
  const channel = new Channel('rooms/1', { resetEvent: 'sse-reset', endEvent: 'sse-end' }, feed.attach, hooks);
  return { feed, hooks, channel };
}

describe('Channel', () => {
  it('writes one turn\'s events to each live client in one write, encoded once per event name', async () => {
    const { feed, channel } = setup();
    const [chat, notice, plain] = [fakeConnection('chat'), fakeConnection('notice'), fakeConnection('')];
    const chat2 = fakeConnection('chat');
    for (const { connection } of [chat, chat2, notice, plain]) {
      channel.join(connection);
    }
    feed.emit(entry('1', 'a'));
    feed.emit(entry('2', 'b', 'special'));
    await microtasks();
    expect(chat.response.chunks).toEqual(['event: chat\nid: 1\ndata: a\n\nevent: special\nid: 2\ndata: b\n\n']);
    expect(notice.response.chunks).toEqual(['event: notice\nid: 1\ndata: a\n\nevent: special\nid: 2\ndata: b\n\n']);
    expect(plain.response.chunks).toEqual(['id: 1\ndata: a\n\nevent: special\nid: 2\ndata: b\n\n']);
    expect(chat2.response.chunks).toEqual(chat.response.chunks);
    expect(channel.stats).toEqual({ clients: 4, published: 2, droppedSlow: 0, replayed: 0, resets: 0 });
  });

  it('a client joining in the turn of a publish gets only what comes after (and what it asks for by id)', async () => {
    const { feed, channel } = setup();
    const early = fakeConnection();
    channel.join(early.connection);
    feed.emit(entry('1', 'before'));
    const late = fakeConnection();
    channel.join(late.connection);
    const resuming = fakeConnection();
    feed.answers.set('0', { events: [entry('1', 'before')] });
    channel.join(resuming.connection, '0');
    feed.emit(entry('2', 'after'));
    await microtasks();
    expect(early.response.text).toBe('id: 1\ndata: before\n\nid: 2\ndata: after\n\n');
    expect(late.response.text).toBe('id: 2\ndata: after\n\n');
    expect(resuming.response.text).toBe('id: 1\ndata: before\n\nid: 2\ndata: after\n\n');
  });

  it('replays at the client\'s pace: slices of half its bound, the next once the last is flushed; a big event goes alone', async () => {
    const { feed, channel } = setup();
    const body = (id: string) => entry(id, 'x'.repeat(20)); // 35 bytes each
    const missed = [body('1'), body('2'), body('3'), entry('4', 'y'.repeat(200)), body('5')];
    feed.lastId = '5';
    feed.answers.set('0', { events: missed });
    const { connection, response } = fakeConnection('', 160); // slices of at most 80 bytes
    channel.join(connection, '0');
    expect(response.chunks).toHaveLength(1);
    expect(response.chunks[0]).toBe(`${missed[0].body}${missed[1].body}`);
    response.drain();
    expect(response.chunks).toHaveLength(2);
    expect(response.chunks[1]).toBe(missed[2].body);
    response.drain();
    expect(response.chunks[2]).toBe(missed[3].body); // bigger than the slice: alone
    response.drain();
    expect(response.chunks[3]).toBe(missed[4].body);
    // After the last slice it asks what came meanwhile, then goes live.
    expect(feed.asked).toEqual(['0', '5']);
    feed.emit(entry('6', 'live'));
    await microtasks();
    expect(response.chunks[4]).toBe('id: 6\ndata: live\n\n');
    expect(channel.stats.replayed).toBe(5);
  });

  it('sends the reset event when the feed cannot resume the id, then goes live', async () => {
    const { feed, channel } = setup();
    feed.lastId = 'e-9';
    feed.answers.set('old', { events: [], reset: 'history-exceeded' });
    const { connection, response } = fakeConnection('chat');
    channel.join(connection, 'old');
    feed.emit(entry('e-10', 'live'));
    await microtasks();
    expect(response.text).toBe(
      'event: sse-reset\nid: e-9\ndata: {"reason":"history-exceeded","lastEventId":"old","channel":"rooms/1"}\n\nevent: chat\nid: e-10\ndata: live\n\n',
    );
    expect(channel.stats.resets).toBe(1);
  });

  it('waits for a feed that reads the shared history; live events go only to live clients meanwhile', async () => {
    const { feed, channel } = setup();
    let answer!: (missed: { events: ReturnType<typeof entry>[] }) => void;
    feed.answers.set('1', new Promise((resolve) => (answer = resolve)));
    const live = fakeConnection();
    channel.join(live.connection);
    const resuming = fakeConnection();
    channel.join(resuming.connection, '1');
    feed.emit(entry('3', 'c'));
    await microtasks();
    expect(live.response.text).toBe('id: 3\ndata: c\n\n');
    expect(resuming.response.text).toBe('');
    feed.answers.set('3', { events: [] });
    answer({ events: [entry('2', 'b'), entry('3', 'c')] });
    await microtasks();
    expect(resuming.response.text).toBe('id: 2\ndata: b\n\nid: 3\ndata: c\n\n');
    feed.emit(entry('4', 'd'));
    await microtasks();
    expect(resuming.response.text.endsWith('id: 4\ndata: d\n\n')).toBe(true);
  });

  it('a failed read ends the catching-up client (it reconnects with its id) and is reported', async () => {
    const { feed, channel, hooks } = setup();
    feed.answers.set('1', Promise.reject(new Error('Redis is down')));
    const { connection, response } = fakeConnection();
    channel.join(connection, '1');
    await microtasks();
    await microtasks();
    expect(response.ended).toBe(true);
    expect(hooks.onReadFailure).toHaveBeenCalledWith('rooms/1', expect.objectContaining({ message: 'Redis is down' }));
  });

  it('counts slow drops, tells its feed and owner when the last client leaves, and is disposable then', () => {
    const { feed, channel, hooks } = setup();
    const [a, b] = [fakeConnection(), fakeConnection()];
    channel.join(a.connection);
    channel.join(b.connection);
    expect(feed.active).toBe(true);
    channel.leave(a.connection, 'slow');
    channel.leave(a.connection, 'slow'); // once only
    expect(hooks.onIdle).not.toHaveBeenCalled();
    channel.leave(b.connection, 'client');
    expect(hooks.onIdle).toHaveBeenCalledWith(channel);
    expect(feed.active).toBe(false);
    expect(channel.stats).toMatchObject({ clients: 0, droppedSlow: 1 });
    expect(channel.isDisposable).toBe(true);
    channel.waiting++;
    expect(channel.isDisposable).toBe(false);
    channel.waiting--;
    feed.keepsHistory = true;
    expect(channel.isDisposable).toBe(false);
  });

  it('close() ends every client, live or catching up', () => {
    const { feed, channel } = setup();
    feed.answers.set('1', new Promise(() => undefined));
    const [live, waiting] = [fakeConnection(), fakeConnection()];
    channel.join(live.connection);
    channel.join(waiting.connection, '1');
    channel.close();
    expect([live.response.ended, waiting.response.ended]).toEqual([true, true]);
  });
});

describe('Channel: the end of a run', () => {
  const end = (id: string) => entry(id, '{"channel":"rooms/1","reason":"complete"}', 'sse-end');

  it('live clients get the end event, then their response ends; it is reported once', async () => {
    const { feed, channel, hooks } = setup();
    const [a, b] = [fakeConnection('token'), fakeConnection('')];
    channel.join(a.connection);
    channel.join(b.connection);
    feed.emit(entry('1', 'hel'));
    feed.emit(end('2'));
    await microtasks();
    expect(a.response.text).toBe('event: token\nid: 1\ndata: hel\n\nevent: sse-end\nid: 2\ndata: {"channel":"rooms/1","reason":"complete"}\n\n');
    expect([a.response.ended, b.response.ended]).toEqual([true, true]);
    expect(channel.endId).toBe('2');
    expect(hooks.onEnded).toHaveBeenCalledTimes(1);
  });

  it('a client that replays through the end gets it and ends; one that joins after gets the end event at once', () => {
    const { feed, channel, hooks } = setup();
    feed.emit(entry('1', 'a'));
    feed.emit(entry('2', 'b'));
    feed.emit(end('3'));
    feed.answers.set('1', { events: [entry('2', 'b'), end('3')] });
    // (As the connection tracker does: a stream that closes leaves its channel.)
    const member = () => {
      const client = fakeConnection('', 0, undefined, undefined, { connectionClosed: (reason) => channel.leave(client.connection, reason) });
      return client;
    };
    const resuming = member();
    channel.join(resuming.connection, '1');
    expect(resuming.response.text).toBe('id: 2\ndata: b\n\nevent: sse-end\nid: 3\ndata: {"channel":"rooms/1","reason":"complete"}\n\n');
    expect(resuming.response.ended).toBe(true);
    const late = member();
    channel.join(late.connection);
    expect(late.response.text).toBe('event: sse-end\nid: 3\ndata: {"channel":"rooms/1","reason":"complete"}\n\n');
    expect(late.response.ended).toBe(true);
    // Both counted out as their responses closed: the ended channel goes idle (and can be dropped).
    expect(channel.clientCount).toBe(0);
    expect(hooks.onIdle).toHaveBeenCalledTimes(2);
  });

  it('from the start: everything the feed still has, the reset first if some is gone', () => {
    const { feed, channel } = setup();
    feed.answers.set(FROM_START, { events: [entry('5', 'e'), entry('6', 'f')], reset: 'history-exceeded' });
    feed.lastId = '6';
    const client = fakeConnection();
    channel.join(client.connection, FROM_START);
    expect(client.response.text).toBe(
      'event: sse-reset\nid: 6\ndata: {"reason":"history-exceeded","lastEventId":"","channel":"rooms/1"}\n\nid: 5\ndata: e\n\nid: 6\ndata: f\n\n',
    );
    expect(client.response.ended).toBe(false);
  });

  it('learns of an end from the feed\'s seed without delivering it', () => {
    const { channel, hooks } = setup();
    const client = fakeConnection();
    channel.seed(end('9'));
    expect(channel.endId).toBe('9');
    expect(hooks.onEnded).toHaveBeenCalledTimes(1);
    expect(channel.stats.published).toBe(0);
    channel.join(client.connection, '8');
    expect(client.response.ended).toBe(true);
  });
});
