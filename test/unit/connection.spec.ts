import { jest } from '@jest/globals';
import { BacklogWatch } from '../../lib/connection/backlog-watch.js';
import { Heartbeat } from '../../lib/tracker/heartbeat.js';
import { fakeConnection, nextTurn } from '../src/fakes.js';

const KiB = 1024;

describe('SseConnection: the slow-client rule', () => {
  let watch: BacklogWatch;
  beforeEach(() => {
    // Turns of the event loop stay real (setImmediate); time is the test's.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'queueMicrotask', 'nextTick'] });
    watch = new BacklogWatch(1000);
  });
  afterEach(() => {
    watch.stop();
    jest.useRealTimers();
  });

  it('never drops a client for what was written within one turn, however big', () => {
    const closed = jest.fn();
    const { connection, response } = fakeConnection('', 64 * KiB, watch, undefined, { connectionClosed: closed });
    expect(connection.write('x'.repeat(3 * 1024 * KiB))).toBe(true);
    for (let i = 0; i < 10; i++) {
      expect(connection.write('y'.repeat(100 * KiB))).toBe(true);
    }
    expect(response.writableLength).toBe(3 * 1024 * KiB + 10 * 100 * KiB);
    expect(closed).not.toHaveBeenCalled();
    expect(watch.size).toBe(1);
  });

  it('keeps a client that drains, and stops watching it', async () => {
    const { connection, response } = fakeConnection('', 64 * KiB, watch);
    connection.write('x'.repeat(200 * KiB));
    expect(watch.size).toBe(1);
    response.drain();
    jest.advanceTimersByTime(300);
    expect(watch.size).toBe(0);
    await nextTurn();
    connection.write('y'.repeat(10 * KiB));
    jest.advanceTimersByTime(5000);
    expect(connection.closed).toBe(false);
  });

  it('drops a client whose backlog stays above the bound for the timeout — not before — and says why', () => {
    const closed = jest.fn();
    const { connection, response } = fakeConnection('', 64 * KiB, watch, undefined, { connectionClosed: closed });
    connection.write('x'.repeat(100 * KiB));
    jest.advanceTimersByTime(999);
    expect(closed).not.toHaveBeenCalled();
    jest.advanceTimersByTime(250);
    expect(closed).toHaveBeenCalledWith('slow');
    expect(response.destroyed).toBe(true);
    expect(connection.write('more')).toBe(false);
  });

  it('drops at once a client whose backlog from earlier turns passes 2 × the bound plus its largest write', async () => {
    const closed = jest.fn();
    const { connection, response } = fakeConnection('', 64 * KiB, watch, undefined, { connectionClosed: closed });
    const frame = 'z'.repeat(16 * KiB);
    let writes = 0;
    while (connection.write(frame)) {
      writes++;
      await nextTurn();
    }
    // 2 × 64 KiB + 16 KiB is passed by the 10th write; the 11th, in a later turn, is refused.
    expect(writes).toBe(10);
    expect(response.writableLength).toBe(10 * 16 * KiB);
    expect(closed).toHaveBeenCalledWith('slow');
    expect(response.chunks).toHaveLength(10);
  });

  it('counts a big event in the ceiling: small events after it in later turns are fine', async () => {
    const { connection } = fakeConnection('', 64 * KiB, watch);
    connection.write('x'.repeat(1024 * KiB));
    for (let i = 0; i < 5; i++) {
      await nextTurn();
      expect(connection.write('small')).toBe(true);
    }
  });

  it('with maxQueuedBytes 0 never drops', async () => {
    const { connection } = fakeConnection('', 0, watch);
    for (let i = 0; i < 20; i++) {
      connection.write('x'.repeat(1024 * KiB));
      await nextTurn();
    }
    jest.advanceTimersByTime(10_000);
    expect(connection.closed).toBe(false);
    expect(watch.size).toBe(0);
  });
});

describe('Heartbeat', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes a comment between whole frames, from one timer per interval, and stops with its last client', () => {
    const heartbeat = new Heartbeat();
    const a = fakeConnection();
    const b = fakeConnection();
    heartbeat.add(a.connection, 1000);
    heartbeat.add(b.connection, 1000);
    heartbeat.add(fakeConnection().connection, 0); // off
    expect(heartbeat.timerCount).toBe(1);
    a.connection.write('id: 1\ndata: x\n\n');
    jest.advanceTimersByTime(1000);
    a.connection.write('id: 2\ndata: y\n\n');
    expect(a.response.chunks).toEqual(['id: 1\ndata: x\n\n', ':\n\n', 'id: 2\ndata: y\n\n']);
    expect(b.response.chunks).toEqual([':\n\n']);
    heartbeat.remove(a.connection, 1000);
    heartbeat.remove(b.connection, 1000);
    expect(heartbeat.timerCount).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(b.response.chunks).toEqual([':\n\n']);
  });
});
