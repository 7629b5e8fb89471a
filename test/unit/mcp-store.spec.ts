import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { ChannelFollower } from '../../lib/registry/channel-follower.js';
import { resolveModuleOptions } from '../../lib/options/module-options.js';
import { McpSessionEvents } from '../../lib/mcp/mcp-session-events.js';
import { formatMcpEventId, isTagOf, parseMcpEventId, streamTag } from '../../lib/mcp/mcp-event-id.js';
import { decodeFrames } from '../../lib/wire/decoder.js';
import { encodeEventBody, encodeFrame, withEventName } from '../../lib/wire/encoder.js';
import type { CloseReason } from '../../lib/model/close-reason.js';

const registry = (options = {}) => {
  const created = new ChannelRegistry(resolveModuleOptions({ heartbeat: 0, ...options }));
  void created.onModuleInit();
  return created;
};
const tick = () => new Promise((resolve) => setImmediate(resolve));
const message = (n: number) => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { n } });
const response = (id: number) => ({ jsonrpc: '2.0', id, result: { content: [] } });

describe('decodeFrames: the encoder\'s frames read back', () => {
  it('reads event, id and data (lines joined by LF, empty data kept, nothing trimmed) of each frame', () => {
    const text = [
      withEventName('', encodeEventBody('1-1', '{"a":1}')),
      withEventName('sse-reset', encodeEventBody('1-2', ' two\nlines ')),
      encodeFrame({ id: '1-3', data: '' }),
      ':\n\n',
    ].join('');
    expect(decodeFrames(text)).toEqual([
      { event: undefined, id: '1-1', data: '{"a":1}' },
      { event: 'sse-reset', id: '1-2', data: ' two\nlines ' },
      { event: undefined, id: '1-3', data: '' },
      { event: undefined, id: undefined, data: undefined },
    ]);
  });
});

describe('MCP event ids', () => {
  it('are <tag>.<stream in base64url>.<channel id>, the tag bound to session, identity and stream', () => {
    const tag = streamTag('s1', '', '_GET_stream');
    expect(tag).toMatch(/^[\w-]{22}$/);
    const id = formatMcpEventId(tag, '_GET_stream', 'abc-7');
    expect(parseMcpEventId(id)).toEqual({ tag, streamId: '_GET_stream', channelId: 'abc-7' });
    expect(isTagOf(tag, streamTag('s1', '', '_GET_stream'))).toBe(true);
    expect(isTagOf(tag, streamTag('s2', '', '_GET_stream'))).toBe(false); // another session
    expect(isTagOf(tag, streamTag('s1', 'ann', '_GET_stream'))).toBe(false); // another identity
    expect(isTagOf(tag, streamTag('s1', '', 'other'))).toBe(false); // another stream
    expect(streamTag('a', 'b\0c', 'd')).not.toBe(streamTag('a', 'b', 'c\0d'));
  });

  it('refuses anything else: other shapes, a padded or non-canonical stream part, an overlong id', () => {
    const tag = 'A'.repeat(22);
    const stream = Buffer.from('st').toString('base64url');
    for (const bad of ['', 'x', `${tag}.${stream}`, `${tag}.${stream}.`, `${tag.slice(1)}.${stream}.1`, `${tag}.${stream}=.1`, `${tag}.c3V.1`, // (decodes as c3U does: not the spelling the encoder writes)
      `${tag}.${stream}.${'1'.repeat(600)}`, 7]) {
      expect([bad, parseMcpEventId(bad)]).toEqual([bad, undefined]);
    }
    expect(parseMcpEventId(`${tag}.${stream}.a.b-c`)).toEqual({ tag, streamId: 'st', channelId: 'a.b-c' });
  });
});

describe('ChannelFollower: a member of a channel inside the process', () => {
  it('gets what came after its cursor, then live events, in order, each once; it leaves the channel on stop', async () => {
    const r = registry();
    const ids = [await r.publish('c', '"a"', undefined, undefined), await r.publish('c', '"b"', undefined, undefined)];
    const got: string[] = [];
    const stops: CloseReason[] = [];
    const follower = new ChannelFollower({ frame: (frame) => void got.push(frame.data!), stopped: (reason) => stops.push(reason) });
    await follower.follow(r, 'c', ids[0]);
    await r.publish('c', '"c"', undefined, undefined);
    await tick();
    expect(got).toEqual(['"b"', '"c"']);
    expect(r.get('c')!.clientCount).toBe(1);
    follower.stop('client');
    follower.stop('client');
    expect(stops).toEqual(['client']);
    expect(r.get('c')!.clientCount).toBe(0);
  });

  it('hands the next frame on only once the sink is done with the one before, and stops with error when the sink fails', async () => {
    const r = registry();
    const first = await r.publish('c', '1', undefined, undefined);
    for (let n = 2; n <= 4; n++) await r.publish('c', String(n), undefined, undefined);
    const order: string[] = [];
    const stops: CloseReason[] = [];
    const follower = new ChannelFollower({
      frame: async (frame) => {
        order.push(`start ${frame.data}`);
        await tick();
        order.push(`end ${frame.data}`);
        if (frame.data === '3') throw new Error('sink failed');
      },
      stopped: (reason) => stops.push(reason),
    });
    await follower.follow(r, 'c', first);
    for (let i = 0; i < 5; i++) await tick();
    expect(order).toEqual(['start 2', 'end 2', 'start 3', 'end 3']);
    expect(stops).toEqual(['error']);
    expect(r.get('c')?.clientCount ?? 0).toBe(0);
  });

  it('stops when its channel closes (shutdown), after the frames written before', async () => {
    const r = registry();
    const stops: CloseReason[] = [];
    const follower = new ChannelFollower({ frame: () => undefined, stopped: (reason) => stops.push(reason) });
    await follower.follow(r, 'c', '');
    r.get('c')!.close();
    await tick();
    expect(stops).toEqual(['server']);
  });
});

describe('McpSessionEvents', () => {
  const sent = () => {
    const list: [string, unknown][] = [];
    return { list, target: { send: async (id: string, m: unknown) => void list.push([id, m]) } };
  };

  it('keeps each stream of each session on a channel of its own under the prefix; ids of other sessions resolve to nothing', async () => {
    const r = registry({ mcp: { prefix: 'ai/mcp' } });
    const s1 = new McpSessionEvents(r, 'ai/mcp', 'session-1', '', false);
    const s2 = new McpSessionEvents(r, 'ai/mcp', 'session-2', '', false);
    const a = await s1.store('_GET_stream', message(1));
    const b = await s2.store('_GET_stream', message(1));
    expect([...r.entries()].map(([name]) => name)).toEqual([`ai/mcp/${a.split('.')[0]}`, `ai/mcp/${b.split('.')[0]}`]);
    expect(a.split('.')[0]).not.toBe(b.split('.')[0]);
    expect(s1.streamOf(a)?.streamId).toBe('_GET_stream');
    expect(s1.streamOf(b)).toBeUndefined();
    await expect(s1.replay(b, sent().target)).rejects.toThrow(/is not an event id of this MCP session/);
  });

  it('following (resume elsewhere): sends what was missed and what comes later, up to the response, then stops', async () => {
    const r = registry();
    const owner = new McpSessionEvents(r, 'mcp', 's', '', false);
    const elsewhere = new McpSessionEvents(r, 'mcp', 's', '', true);
    let finished = 0;
    elsewhere.onFinished = () => finished++;
    const priming = await owner.store('st', {});
    const first = await owner.store('st', message(1));
    const { list, target } = sent();
    expect(await elsewhere.replay(priming, target)).toBe('st');
    await owner.store('st', message(2));
    const last = await owner.store('st', response(9));
    await owner.store('st', message(3)); // (after the response: not this request's)
    await tick();
    expect(list.map(([id]) => id)).toEqual([first, expect.any(String), last]);
    expect(list.map(([, m]) => m)).toEqual([message(1), message(2), response(9)]);
    expect(finished).toBe(1);
    expect(r.get(`mcp/${first.split('.')[0]}`)!.clientCount).toBe(0);
  });

  it('following: close() (the client left) stops every follow without calling it finished', async () => {
    const r = registry();
    const owner = new McpSessionEvents(r, 'mcp', 's', '', false);
    const elsewhere = new McpSessionEvents(r, 'mcp', 's', '', true);
    let finished = 0;
    elsewhere.onFinished = () => finished++;
    const first = await owner.store('st', message(1));
    await elsewhere.replay(first, sent().target);
    const channel = r.get(`mcp/${first.split('.')[0]}`)!;
    expect(channel.clientCount).toBe(1);
    elsewhere.close();
    expect(channel.clientCount).toBe(0);
    expect(finished).toBe(0);
  });

  it('a store that starts while its stream replays waits until the replay has handed the stream over; others do not wait', async () => {
    const r = registry();
    const s = new McpSessionEvents(r, 'mcp', 's', '', false);
    const first = await s.store('st', message(1));
    const order: string[] = [];
    const replay = s.replay(first, { send: async () => void order.push('sent') }).then(() => order.push('replayed'));
    const same = s.store('st', message(2)).then(() => order.push('same stream stored'));
    const other = s.store('other', message(2)).then(() => order.push('other stream stored'));
    await Promise.all([replay, same, other]);
    expect(order).toEqual(['other stream stored', 'replayed', 'same stream stored']);
    expect((s as unknown as { streams: Map<string, unknown> }).streams.size).toBe(0); // nothing kept once done
  });
});
