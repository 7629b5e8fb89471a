import { channelTemplatesMeet, parseChannelTemplate, refuseParamValues } from '../../lib/model/channel-template.js';
import { resolveChannelName, type SseRouteDefinition } from '../../lib/routing/sse-route.js';
import { ChannelSettingsResolver } from '../../lib/channel/channel-settings.js';
import { resolveModuleOptions } from '../../lib/options/module-options.js';

const route = (channel: string, path = channel): SseRouteDefinition => {
  const segments = parseChannelTemplate(channel, 'test');
  return {
    channelOption: channel,
    channel,
    segments,
    params: segments.flatMap((s) => (typeof s === 'string' ? [] : [s.param])),
    paths: [path],
    path,
    event: '',
    handlerName: 'Test.handler',
    multi: false,
    maxChannels: 100,
  };
};

describe('channel names with :params', () => {
  it('fills the params of a request in', () => {
    expect(resolveChannelName(route('rooms/:id'), { id: '42' })).toBe('rooms/42');
    expect(resolveChannelName(route('orgs/:org/teams/:team'), { org: 'acme', team: 'red' })).toBe('orgs/acme/teams/red');
    expect(resolveChannelName(route('plain'), {})).toBe('plain');
  });

  it('fails, naming the param and the route, when the route has no such param', () => {
    expect(() => resolveChannelName(route('rooms/:id', 'rooms'), {})).toThrow(
      'The channel "rooms/:id" of @SseChannel() needs the route parameter ":id", but the route "rooms" has none.',
    );
  });

  it('refuses values with a slash or a control character, naming the param', () => {
    expect(refuseParamValues(['id'], { id: '42' })).toBeUndefined();
    expect(refuseParamValues(['id', 'x'], { id: '1', x: 'a/b' })).toEqual({ param: 'x', value: 'a/b' });
    expect(refuseParamValues(['id'], { id: 'a\tb' })).toEqual({ param: 'id', value: 'a\tb' });
    expect(refuseParamValues(['id'], { id: 'ünïcödé %20 ok' })).toBeUndefined();
  });

  it('tells when two routes can name the same channel', () => {
    const meet = (a: string, b: string) => channelTemplatesMeet(parseChannelTemplate(a, 't'), parseChannelTemplate(b, 't'));
    expect(meet('news/:topic', 'news/internal')).toBe('news/internal');
    expect(meet('rooms/:id', 'rooms/:id')).toBe('rooms/:id');
    expect(meet('users/:id', 'users/:id/private')).toBeUndefined();
    expect(meet('orgs/:org/teams/:team', 'orgs/:org/admin/teams/:team')).toBeUndefined();
    expect(meet(':tenant/news', 'acme/:feed')).toBe('acme/news');
    expect(meet('a/b', 'a/c')).toBeUndefined();
  });
});

describe('ChannelSettingsResolver', () => {
  it('an exact name wins over a pattern, the first matching pattern over later ones, the module\'s settings otherwise', () => {
    const resolver = new ChannelSettingsResolver(
      resolveModuleOptions({
        history: { size: 50, bytes: 5000 },
        channels: {
          'rooms/:id': { size: 10 },
          'rooms/lobby': { size: 500 },
          ':any/:id': { size: 1, bytes: 100 },
        },
      }),
    );
    expect(resolver.for('rooms/lobby')).toMatchObject({ history: 500, historyBytes: 5000 });
    expect(resolver.for('rooms/42')).toMatchObject({ history: 10, historyBytes: 5000 });
    expect(resolver.for('users/7')).toMatchObject({ history: 1, historyBytes: 100 });
    expect(resolver.for('news')).toMatchObject({ history: 50, historyBytes: 5000, resetEvent: 'sse-reset' });
    expect(resolver.for('rooms/42/extra')).toMatchObject({ history: 50 });
  });
});

describe('the channels option: one template rule with routes', () => {
  // Defect: keys with a ":param" inside a segment were taken (and matched
  // nothing a route could name) although the decorator refuses them.
  it.each(['user-:id', 'a:b', 'rooms/x:id', 'bad\nname'])('refuses the key %j at start-up, naming it', (key) => {
    expect(() => resolveModuleOptions({ channels: { [key]: { size: 1 } } })).toThrow(/^SseModule options\.channels: /);
  });

  it('names the rule and the fix', () => {
    expect(() => resolveModuleOptions({ channels: { 'user-:id': { size: 1 } } })).toThrow(
      'SseModule options.channels: the channel name "user-:id" has "user-:id": a ":param" must be a whole "/"-separated segment',
    );
  });

  it('takes whole-segment params and plain names', () => {
    expect(() => resolveModuleOptions({ channels: { 'users/:id': { size: 1 }, 'news-2024': { size: 2 } } })).not.toThrow();
  });
});
