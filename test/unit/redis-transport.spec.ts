import { EventEmitter } from 'node:events';
import { RedisTransport } from '../../lib/transport/redis/redis.transport.js';
import type { RedisClientLike } from '../../lib/transport/redis/redis-transport-options.interface.js';
import { SseTransportError } from '../../lib/interfaces/sse-transport.interface.js';

/** An ioredis client that has lost its connection: it must not be asked to queue anything. */
class LostClient extends EventEmitter {
  status = 'reconnecting';
  readonly calls: string[] = [];
  call(command: string): Promise<unknown> {
    this.calls.push(command);
    return new Promise(() => undefined);
  }
  pipeline() {
    this.calls.push('pipeline');
    return { call: () => undefined, exec: () => new Promise<null>(() => undefined) };
  }
  duplicate(): RedisClientLike {
    return Object.assign(new LostClient(), { subscribe: async () => undefined }) as unknown as RedisClientLike;
  }
  subscribe = async () => undefined;
  unsubscribe = async () => undefined;
  quit = async () => undefined;
  disconnect(): void {}
}

describe('RedisTransport without a connection', () => {
  it('rejects a publish at once, without handing it to ioredis to queue', async () => {
    const client = new LostClient();
    const transport = new RedisTransport({ client: client as unknown as RedisClientLike });
    await transport.init({ deliver: () => undefined, suspend: () => undefined, resume: () => undefined, control: () => undefined, presenceSwept: () => undefined });
    const settled: string[] = [];
    const publish = transport.publish({ channel: 'news', event: undefined, data: 'x', id: undefined, history: 10, historyTtl: 0, endEvent: 'sse-end' });
    publish.catch(() => settled.push('rejected'));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toEqual(['rejected']); // within the same turn: no timer, no I/O
    await expect(publish).rejects.toThrow(SseTransportError);
    await expect(publish).rejects.toThrow(/^Redis is not connected \(status "reconnecting"\): the event for channel "news" was not published/);
    expect(client.calls).toEqual([]);
    await transport.close();
  });
});

describe('RedisTransport presence outside init() … close()', () => {
  it('rejects (never throws) before init and after close, so that a late call from a timer cannot crash the process', async () => {
    const transport = new RedisTransport({ client: new LostClient() as unknown as RedisClientLike });
    const early = transport.presenceGone('room', 'ada');
    await expect(early).rejects.toThrow('RedisTransport: presence before the application started (app.init()) or after it closed.');
    await transport.init({ deliver: () => undefined, suspend: () => undefined, resume: () => undefined, control: () => undefined, presenceSwept: () => undefined });
    await transport.close();
    for (const late of [transport.presenceJoin('room', 'ada'), transport.presenceLeave('room', 'ada'), transport.presenceList('room')]) {
      await expect(late).rejects.toThrow(/after it closed/);
    }
  });
});
