import { EventEmitter } from 'node:events';
import { HistoryExpiry, RENEW_BATCH } from '../../lib/transport/redis/history-expiry.js';
import type { RedisClientLike } from '../../lib/transport/redis/redis-transport-options.interface.js';
import { RedisKeys } from '../../lib/transport/redis/redis-keys.js';
import { until } from '../src/until.js';

const TTL = 60_000;
const LEASE = 300;

/** A commands connection that records pipelines (each answered when the test says) and single commands. */
class FakeCommands extends EventEmitter {
  status = 'ready';
  /** Each pipeline sent: its commands, and how to answer it. */
  readonly pipelines: { commands: (string | number)[][]; answer: () => void }[] = [];
  readonly calls: (string | number)[][] = [];
  call(...command: (string | number)[]): Promise<unknown> {
    this.calls.push(command);
    return Promise.resolve(1);
  }
  pipeline() {
    const commands: (string | number)[][] = [];
    return {
      call: (...command: (string | number)[]) => void commands.push(command),
      exec: () =>
        new Promise<[Error | null, unknown][]>((resolve) => {
          this.pipelines.push({ commands, answer: () => resolve(commands.map(() => [null, 1])) });
        }),
    };
  }
}

const setup = (ttl = TTL) => {
  const client = new FakeCommands();
  const expiry = new HistoryExpiry(client as unknown as RedisClientLike, new RedisKeys('p:', false), ttl, LEASE);
  return { client, expiry };
};
const channelsOf = (pipeline: { commands: (string | number)[][] }) => pipeline.commands.map(([, key]) => String(key).slice('p:'.length));
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('HistoryExpiry: a subscribed channel\'s Stream kept at ttl + lease', () => {
  it('renews every subscribed channel with PEXPIRE ttl+lease, RENEW_BATCH per pipeline, one pipeline at a time', async () => {
    const { client, expiry } = setup();
    const channels = new Set(Array.from({ length: RENEW_BATCH * 2 + 500 }, (_, i) => `c${i}`));
    const round = expiry.renew(channels);
    await flush();
    expect(client.pipelines).toHaveLength(1); // the next batch waits for this one's answer
    expect(client.pipelines[0].commands).toHaveLength(RENEW_BATCH);
    expect(client.pipelines[0].commands[0]).toEqual(['PEXPIRE', 'p:c0', TTL + LEASE]);
    client.pipelines[0].answer();
    await flush();
    expect(client.pipelines).toHaveLength(2);
    client.pipelines[1].answer();
    await flush();
    client.pipelines[2].answer();
    await round;
    expect(client.pipelines.map((p) => p.commands.length)).toEqual([RENEW_BATCH, RENEW_BATCH, 500]);
    expect(new Set(client.pipelines.flatMap(channelsOf))).toEqual(channels);
    expect(client.pipelines.flatMap((p) => p.commands).every(([command, , ms]) => command === 'PEXPIRE' && ms === TTL + LEASE)).toBe(true);
    expect(client.calls).toEqual([]);
  });

  it('a channel left while a batch is on its way is not renewed by a later batch (its unsubscribe script goes after); one joined is', async () => {
    const { client, expiry } = setup();
    const channels = new Set(Array.from({ length: RENEW_BATCH + 2 }, (_, i) => `c${i}`));
    const round = expiry.renew(channels);
    await flush();
    channels.delete(`c${RENEW_BATCH}`);
    channels.add('late');
    client.pipelines[0].answer();
    await flush();
    client.pipelines[1].answer();
    await round;
    expect(channelsOf(client.pipelines[1])).toEqual([`c${RENEW_BATCH + 1}`, 'late']);
  });

  it('skips a round while one is under way, and while the connection is not ready (nothing queued in ioredis)', async () => {
    const { client, expiry } = setup();
    const channels = new Set(['a', 'b']);
    const first = expiry.renew(channels);
    await expiry.renew(channels); // under way: returns at once
    await flush();
    expect(client.pipelines).toHaveLength(1);
    client.pipelines[0].answer();
    await first;
    client.status = 'reconnecting';
    await expiry.renew(channels);
    expect(client.pipelines).toHaveLength(1);
    client.status = 'ready';
    const again = expiry.renew(channels);
    await flush();
    client.pipelines[1].answer();
    await again;
    expect(client.pipelines).toHaveLength(2);
  });

  it('a failed pipeline ends the round; the next one renews again', async () => {
    const { client, expiry } = setup();
    client.pipeline = () => ({ call: () => undefined, exec: () => Promise.reject(new Error('Connection is closed.')) });
    await expect(expiry.renew(new Set(['a']))).resolves.toBeUndefined();
  });

  it('start() renews every lease / 3 on one timer; stop() ends it, and the round under way sends no further batch', async () => {
    const { client, expiry } = setup();
    const channels = new Set(Array.from({ length: RENEW_BATCH + 1 }, (_, i) => `c${i}`));
    expiry.start(channels);
    const started = Date.now();
    await until(() => client.pipelines.length === 1, 'the first renewal');
    expect(Date.now() - started).toBeGreaterThanOrEqual(LEASE / 3 - 5);
    client.pipelines[0].answer();
    await until(() => client.pipelines.length === 2, 'the second batch');
    client.pipelines[1].answer();
    await until(() => client.pipelines.length === 3, 'the next round');
    expiry.stop();
    client.pipelines[2].answer();
    await new Promise((resolve) => setTimeout(resolve, LEASE));
    expect(client.pipelines).toHaveLength(3);
  });

  it('watched() sets ttl + lease at once; unwatched() runs the unsubscribe script with the ttl once the unsubscribe settled', async () => {
    const { client, expiry } = setup();
    expiry.watched(['a', 'b']);
    expect(client.calls).toEqual([
      ['PEXPIRE', 'p:a', TTL + LEASE],
      ['PEXPIRE', 'p:b', TTL + LEASE],
    ]);
    let confirm!: () => void;
    expiry.unwatched('a', new Promise<void>((resolve) => (confirm = resolve)));
    await flush();
    expect(client.calls).toHaveLength(2);
    confirm();
    await expiry.settle(1000);
    expect(client.calls[2]).toEqual(['EVALSHA', expect.any(String), 1, 'p:a', TTL]);
  });

  it('ttl 0 (history kept for good): no renewal, no expiry set', async () => {
    const { client, expiry } = setup(0);
    expiry.start(new Set(['a']));
    await expiry.renew(new Set(['a']));
    expiry.watched(['a']);
    expiry.unwatched('a', Promise.resolve());
    await new Promise((resolve) => setTimeout(resolve, LEASE / 2));
    expiry.stop();
    expect(client.pipelines).toEqual([]);
    expect(client.calls).toEqual([]);
  });
});
