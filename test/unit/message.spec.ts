import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { from } from 'rxjs';
import { ChannelSources } from '../../lib/broadcaster/channel-sources.js';
import type { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { isSseMessage, toFrameParts } from '../../lib/wire/message.js';
import { encodeFrame } from '../../lib/wire/encoder.js';

describe('message objects and plain data', () => {
  it('tells message objects from plain data', () => {
    expect(isSseMessage({ data: 1 })).toBe(true);
    expect(isSseMessage({ data: 1, event: 'x', id: '1', retry: 5, comment: 'c' })).toBe(true);
    expect(isSseMessage({ data: 'x', type: 'tick' })).toBe(true); // Nest's MessageEvent
    expect(isSseMessage({ comment: 'ping' })).toBe(true);
    expect(isSseMessage({ retry: 100 })).toBe(true);
    expect(isSseMessage({ data: 1, user: 'x' })).toBe(false); // another key: plain data
    expect(isSseMessage({ id: '1', name: 'n' })).toBe(false);
    expect(isSseMessage({ event: 'x' })).toBe(false); // no data, comment or retry
    expect(isSseMessage([{ data: 1 }])).toBe(false);
    expect(isSseMessage('data')).toBe(false);
    expect(isSseMessage(null)).toBe(false);
    class Data {
      data = 1;
      other = 2;
    }
    expect(isSseMessage(new Data())).toBe(false); // a field that is not a message field
    class Ping {
      comment = 'no data';
    }
    expect(isSseMessage(new Ping())).toBe(false); // an instance needs data
  });

  it('reads Nest\'s way: a DOM MessageEvent and a class instance of message fields are messages', () => {
    const event = new MessageEvent('user-fetched', { data: { id: 7 } });
    expect(isSseMessage(event)).toBe(true);
    expect(encodeFrame(toFrameParts(event, 'route'))).toBe('event: user-fetched\ndata: {"id":7}\n\n');
    expect(encodeFrame(toFrameParts(new MessageEvent('tick', { data: 'x', lastEventId: '42' })))).toBe('event: tick\nid: 42\ndata: x\n\n');
    class Tick {
      readonly type = 'tick';
      readonly data: { n: number };
      constructor(n: number) {
        this.data = { n };
      }
    }
    expect(isSseMessage(new Tick(1))).toBe(true);
    expect(encodeFrame(toFrameParts(new Tick(1), 'route'))).toBe('event: tick\ndata: {"n":1}\n\n');
    class WithId {
      data = 'x';
      id = 9;
      get extra() {
        return 'a getter on the prototype is not an own field';
      }
    }
    expect(encodeFrame(toFrameParts(new WithId()))).toBe('id: 9\ndata: x\n\n');
  });

  it('plain data becomes the data of one frame with the route event name', () => {
    expect(encodeFrame(toFrameParts({ id: 1, name: 'n' }, 'user'))).toBe('event: user\ndata: {"id":1,"name":"n"}\n\n');
    expect(encodeFrame(toFrameParts('hi'))).toBe('data: hi\n\n');
  });

  it('a message keeps its own event name over the route\'s; `type` counts as the name', () => {
    expect(encodeFrame(toFrameParts({ data: 'x', event: 'own' }, 'route'))).toBe('event: own\ndata: x\n\n');
    expect(encodeFrame(toFrameParts({ data: 'x', type: 'tick', id: 3 }, 'route'))).toBe('event: tick\nid: 3\ndata: x\n\n');
    expect(encodeFrame(toFrameParts({ data: { a: 1 } }, 'route'))).toBe('event: route\ndata: {"a":1}\n\n');
  });

  it('a comment-only message is a comment, with no event', () => {
    expect(encodeFrame(toFrameParts({ comment: 'ping' }, 'route'))).toBe(': ping\n\n');
  });

  it('refuses bad fields with the field named', () => {
    expect(() => toFrameParts({ data: 1, event: 'a\nb' })).toThrow(/Invalid SSE event "a\\nb"/);
    expect(() => toFrameParts({ data: 1, type: 'a\rb' })).toThrow(/Invalid SSE type "a\\rb"/);
    expect(() => toFrameParts({ data: 1, id: 'x\0' })).toThrow(/Invalid SSE id .*NUL/);
    expect(() => toFrameParts({ data: 1, id: 'x ' })).toThrow(/Invalid SSE id "x ": it must not start or end with a space/);
    expect(() => toFrameParts({ data: 1, retry: -5 })).toThrow(/Invalid SSE retry -5/);
    expect(() => toFrameParts({ data: 1n })).toThrow(/Invalid SSE data 1n/);
    expect(() => toFrameParts({ comment: 5 })).toThrow(/Invalid SSE comment 5: it must be a string/);
    expect(() => toFrameParts({ data: undefined, event: 'x', comment: 'c' })).toThrow(/has an "event" but no "data"/);
  });
});

describe('numeric ids: one rule for per-client streams and connect()', () => {
  const refused = [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53];
  const accepted: [number, string][] = [[0, '0'], [7, '7'], [Number.MAX_SAFE_INTEGER, '9007199254740991']];

  /** What connect() publishes for each value, and what it logs for those it skips. */
  function connectPath(values: unknown[]) {
    const published: (string | undefined)[] = [];
    const publisher = {
      publish: (_: string, __: unknown, options?: { id?: string }) => {
        published.push(options?.id);
        return Promise.resolve('x');
      },
      endChannel: () => Promise.resolve(undefined),
    };
    const registry = { get: () => undefined } as unknown as ChannelRegistry;
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      new ChannelSources(registry, publisher).connect('ids', from(values));
      return { published, logged: logged.mock.calls.map(([message]) => String(message)) };
    } finally {
      logged.mockRestore();
    }
  }

  it('refuses the same numbers on both paths, with the same message naming the id and the fix', () => {
    const { published, logged } = connectPath(refused.map((id) => ({ data: 'x', id })));
    expect(published).toEqual([]);
    expect(logged).toHaveLength(refused.length);
    refused.forEach((id, i) => {
      let thrown = '';
      try {
        toFrameParts({ data: 'x', id });
      } catch (error) {
        thrown = (error as Error).message;
      }
      expect(thrown).toBe(`Invalid SSE id ${String(id)}: a number id must be a non-negative safe integer (it is sent as its decimal digits). Pass any other id as a string.`);
      expect(logged[i]).toBe(`connect("ids"): value skipped. ${thrown}`);
    });
  });

  it('accepts the same numbers on both paths, as the same decimal text', () => {
    const { published, logged } = connectPath(accepted.map(([id]) => ({ data: 'x', id })));
    expect(logged).toEqual([]);
    expect(published).toEqual(accepted.map(([, text]) => text));
    expect(accepted.map(([id]) => toFrameParts({ data: 'x', id }).id)).toEqual(published);
  });
});
