import { jest } from '@jest/globals';
import { HistoryBudget } from '../../lib/feed/history-budget.js';
import { SharedFeeds } from '../../lib/feed/shared-feeds.js';
import { SseTransportError, type SseTransport, type SseTransportPublish } from '../../lib/interfaces/sse-transport.interface.js';
import { SseEncodingError } from '../../lib/wire/encoder.js';
import { microtasks } from '../src/fakes.js';

/** A transport that starts when the test says, and takes every publish it is given once started. */
class SlowStartTransport implements SseTransport {
  readonly sent: string[] = [];
  private started = false;
  private start!: () => void;
  private fail!: (error: Error) => void;
  private readonly starting = new Promise<void>((resolve, reject) => {
    this.start = () => {
      this.started = true;
      resolve();
    };
    this.fail = reject;
  });

  init(): Promise<void> {
    return this.starting;
  }
  begin(): void {
    this.start();
  }
  abort(error: Error): void {
    this.fail(error);
  }
  publish(request: SseTransportPublish): Promise<string> {
    if (!this.started) throw new Error('publish() before init()');
    this.sent.push(`publish ${request.channel} ${request.data}`);
    return Promise.resolve(String(this.sent.length));
  }
  async sendControl(message: string): Promise<void> {
    if (!this.started) throw new Error('sendControl() before init()');
    this.sent.push(`control ${message}`);
  }
  subscribe(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  unsubscribe(): void {}
  read(): never {
    throw new Error('not in this test');
  }
  parseId(id: string): string | undefined {
    return /^\d+$/.test(id) ? id : undefined;
  }
  compareIds(a: string, b: string): number {
    return Number(a) - Number(b);
  }
  close(): void {}
}

const request = (channel: string, data: string, id?: string): SseTransportPublish => ({
  channel,
  data,
  id,
  event: undefined,
  history: 10,
  historyTtl: 0,
  endEvent: 'sse-end',
});

function setup() {
  const transport = new SlowStartTransport();
  const hooks = { onReadFailure: jest.fn(), onControl: jest.fn(), onPresenceSwept: jest.fn(), onResubscribed: jest.fn() };
  return { transport, feeds: new SharedFeeds(transport, 0, new HistoryBudget(0), hooks) };
}

describe('SharedFeeds: what is published before the transport has started (a provider\'s constructor or onModuleInit)', () => {
  it('is sent once it has, in order, control messages included, and each publish resolves with its id', async () => {
    const { transport, feeds } = setup();
    const first = feeds.publish(request('a', '1'));
    const control = feeds.sendControl('{"type":"disconnect"}');
    const init = feeds.init();
    const second = feeds.publish(request('b', '2')); // while it starts
    await microtasks();
    expect(transport.sent).toEqual([]);
    transport.begin();
    await init;
    const third = feeds.publish(request('c', '3')); // started: at once
    await expect(Promise.all([first, second, third])).resolves.toEqual(['1', '3', '4']);
    await control;
    expect(transport.sent).toEqual(['publish a 1', 'control {"type":"disconnect"}', 'publish b 2', 'publish c 3']);
  });

  it('refuses an id the transport cannot take at once, as after the start', async () => {
    const { transport, feeds } = setup();
    expect(() => feeds.publish(request('a', '1', 'not-a-number'))).toThrow(SseEncodingError);
    expect(() => feeds.publish(request('a', '1', 'not-a-number'))).toThrow(
      'Invalid SSE id "not-a-number" for channel "a": the transport refuses it. Leave "id" out to get the channel\'s next one.',
    );
    const valid = feeds.publish(request('a', '1', '7'));
    const init = feeds.init();
    transport.begin();
    await init;
    await expect(valid).resolves.toBe('1');
  });

  it('rejects (never throws) when the started transport throws, e.g. once closed: a publish from a timer (presence batch) cannot crash the process', async () => {
    const { transport, feeds } = setup();
    const init = feeds.init();
    transport.begin();
    await init;
    transport.publish = () => {
      throw new Error('publish() after it closed');
    };
    let published: Promise<string> | undefined;
    expect(() => (published = feeds.publish(request('a', '1')))).not.toThrow();
    await expect(published).rejects.toThrow('publish() after it closed');
    // Bad input the transport refuses still throws at once, as publish() documents.
    transport.publish = () => {
      throw new SseEncodingError('Invalid SSE id "x"');
    };
    expect(() => feeds.publish(request('a', '1'))).toThrow(SseEncodingError);
  });

  it('fails with the start when the transport cannot start', async () => {
    const { transport, feeds } = setup();
    const early = feeds.publish(request('a', '1'));
    const init = feeds.init();
    transport.abort(new Error('no Redis'));
    await expect(init).rejects.toThrow('no Redis');
    await expect(early).rejects.toThrow('no Redis');
  });

  it('fails with an SseTransportError when the application shuts down before the transport started', async () => {
    const { transport, feeds } = setup();
    const early = feeds.publish(request('a', '1'));
    await feeds.close();
    await expect(early).rejects.toThrow(SseTransportError);
    await expect(early).rejects.toThrow(
      'The application shut down before its transport started: this event, published before app.init() ended, was not sent.',
    );
    expect(transport.sent).toEqual([]);
  });
});
