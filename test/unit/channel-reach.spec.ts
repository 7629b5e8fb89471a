import { ChannelReach } from '../../lib/registry/channel-reach.js';

/** A ChannelReach whose warnings are kept; `options`: the keys of the `channels` option. */
function reach(options: string[] = []) {
  const warnings: string[] = [];
  return { reach: new ChannelReach(options, (message) => warnings.push(message)), warnings };
}

describe('ChannelReach: a publish to a channel no route can stream is warned about (outside production)', () => {
  it('warns once per name, with the declared channel nearest to it, its params filled from the name', () => {
    const { reach: r, warnings } = reach();
    r.declare(['rooms/:id', 'news', 'users/:id/inbox'], false);
    r.published('room/42');
    r.published('room/42');
    r.published('rooms/42'); // matches rooms/:id
    r.published('users/ann/inbox'); // matches users/:id/inbox
    expect(warnings).toEqual([
      `publish() to "room/42": no route of this application streams that channel — it matches none of the channels of its @SseChannel() routes and SseModule's channels option ("rooms/:id", "news", "users/:id/inbox"), and no stream has joined it. Did you mean "rooms/:id"? If a handler streams it (returning broadcaster.channel(name)), add its name or template to SseModule's channels option, e.g. channels: { 'orders/:id': {} }, and this warning goes. (Said once per channel, and only when NODE_ENV is not 'production'.)`,
    ]);
    r.published('nwes');
    r.published('user/ann/inbox');
    r.published('zzzzzzzzzz/yyyyyyyy');
    expect(warnings.slice(1).map((w) => /Did you mean "([^"]+)"/.exec(w)?.[1])).toEqual(['news', 'users/:id/inbox', undefined]);
  });

  it("leaves the library's own channels (the MCP store's streams) out: a resume joining one does not silence the check, and they are not listed", () => {
    const warnings: string[] = [];
    const r = new ChannelReach([], (message) => warnings.push(message), ['ai/mcp/:stream']);
    r.declare(['rooms/:id'], false);
    r.joined('ai/mcp/AbCdEfGhIjKlMnOpQrStUv');
    r.published('room/42');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('("rooms/:id")');
  });

  it("counts the keys of the channels option as declared channels: the way to say a handler's broadcaster.channel() streams them", () => {
    const { reach: r, warnings } = reach(['orders/:id']);
    r.declare(['rooms/:id'], false);
    r.published('orders/7');
    expect(warnings).toEqual([]);
    r.published('order/7');
    expect(warnings[0]).toContain('("rooms/:id", "orders/:id")');
    expect(warnings[0]).toContain('Did you mean "orders/:id"?');
  });

  it('checks what was published before start-up declared the routes once it has', () => {
    const { reach: r, warnings } = reach();
    r.published('room/1');
    r.published('rooms/1');
    expect(warnings).toEqual([]);
    r.declare(['rooms/:id'], false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^publish\(\) to "room\/1": /);
  });

  it('stays quiet when the app names channels at request time: @SseChannels() routes', () => {
    const { reach: r, warnings } = reach();
    r.declare(['rooms/:id'], true);
    r.published('answers/1');
    expect(warnings).toEqual([]);
  });

  it('stays quiet from the first stream that joins a channel no declared one matches (a handler returned broadcaster.channel(name))', () => {
    const { reach: r, warnings } = reach();
    r.declare(['rooms/:id'], false);
    r.joined('rooms/1'); // a route's own channel: nothing learnt
    r.published('room/1');
    expect(warnings).toHaveLength(1);
    r.joined('private/ann');
    r.published('private/bob');
    r.published('room/2');
    expect(warnings).toHaveLength(1);
  });

  it('stays quiet on an instance without channel routes (one that only publishes, for the instances that stream)', () => {
    const { reach: r, warnings } = reach(['rooms/:id']);
    r.declare([], false);
    r.published('anything/at/all');
    expect(warnings).toEqual([]);
  });

  it('lists at most six declared channels', () => {
    const { reach: r, warnings } = reach();
    r.declare(['a', 'b', 'c', 'd', 'e', 'f', 'g'], false);
    r.published('x/y');
    expect(warnings[0]).toContain('("a", "b", "c", "d", "e", "f", …)');
  });
});
