import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { from, of, Subject, throwError } from 'rxjs';
import { ChannelSources, type ChannelPublisher } from '../../lib/broadcaster/channel-sources.js';
import type { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import type { SseMessage } from '../../lib/interfaces/sse-message.interface.js';

/** ChannelSources over a fake registry (idle watches the test fires) and a recording publisher. */
function setup() {
  const published: [string, unknown, { event?: string; id?: string } | undefined][] = [];
  const ended: [string, string][] = [];
  const idle = new Map<string, () => void>();
  const stopped: string[] = [];
  let endId: string | undefined;
  const registry = {
    get: () => (endId === undefined ? undefined : { endId }),
    watchIdle: (name: string, _ms: number, onIdle: () => void) => {
      idle.set(name, onIdle);
      return () => stopped.push(name);
    },
  };
  const publisher: ChannelPublisher = {
    publish: async (channel, data, options) => {
      published.push([channel, data, options]);
      return String(published.length);
    },
    endChannel: async (channel, reason) => {
      ended.push([channel, reason]);
      return 'end';
    },
  };
  const sources = new ChannelSources(registry as unknown as ChannelRegistry, publisher);
  return { sources, published, ended, idle, stopped, endChannel: (id: string) => (endId = id) };
}

describe('ChannelSources (connect())', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('publishes each value; SseMessage fields give the event and the id; a run ends when its source completes', async () => {
    const { sources, published, ended } = setup();
    const values: (string | SseMessage<string>)[] = ['a', { data: 'b', event: 'tok', id: '7' }];
    sources.connect('runs/1', from(values), { end: true });
    await Promise.resolve();
    expect(published).toEqual([
      ['runs/1', 'a', undefined],
      ['runs/1', 'b', { event: 'tok', id: '7' }],
    ]);
    expect(ended).toEqual([['runs/1', 'complete']]);
  });

  it('a failing source stops feeding and, with end, ends the channel with reason error; without end it leaves it open', () => {
    const { sources, ended } = setup();
    sources.connect('runs/1', throwError(() => new Error('boom')), { end: true });
    sources.connect('news', throwError(() => new Error('boom')));
    expect(ended).toEqual([['runs/1', 'error']]);
  });

  it('a value that cannot be published is skipped and logged; the source goes on', async () => {
    const { sources, published } = setup();
    const source = new Subject<unknown>();
    sources.connect('news', source);
    source.next({ data: 'x', id: -1 }); // not an id: skipped
    source.next('y');
    await Promise.resolve();
    expect(published.map(([, data]) => data)).toEqual(['y']);
    expect(Logger.prototype.error).toHaveBeenCalledWith(expect.stringContaining('connect("news"): value skipped.'));
  });

  it('cancelWhenIdle stops the source and ends the channel (reason ended) once the registry says it is idle', () => {
    const { sources, idle, ended, stopped } = setup();
    const source = new Subject<string>();
    const subscription = sources.connect('runs/2', source, { end: true, cancelWhenIdle: 1000 });
    idle.get('runs/2')!();
    expect(subscription.closed).toBe(true);
    expect(source.observed).toBe(false);
    expect(ended).toEqual([['runs/2', 'ended']]);
    expect(stopped).toEqual(['runs/2']);
  });

  it('stop() and stopAll() unsubscribe every source of a channel, and only those', () => {
    const { sources } = setup();
    const [a1, a2, b] = [new Subject(), new Subject(), new Subject()];
    sources.connect('a', a1);
    sources.connect('a', a2);
    sources.connect('b', b);
    sources.stop('a');
    expect([a1.observed, a2.observed, b.observed]).toEqual([false, false, true]);
    sources.stopAll();
    expect(b.observed).toBe(false);
  });

  it('refuses to connect a source to a channel that has ended', () => {
    const { sources, endChannel } = setup();
    endChannel('5');
    expect(() => sources.connect('runs/1', of('x'))).toThrow(/ended/);
  });
});
