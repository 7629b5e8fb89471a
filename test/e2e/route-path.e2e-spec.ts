import { Controller, Module, VersioningType } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type Platform } from '../src/create-app.js';

/**
 * `@SseChannel(path?, options?)`: the first argument is the route's path, as
 * `@Get()` and `@Sse()` take it; the channel defaults to the route's full
 * path without global prefix or version, and `channel` names another one.
 */
const boot = (platform: Platform, controllers: unknown[], configure?: Parameters<typeof createTestApp>[2]) =>
  createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: controllers as never }, configure);

describe.each(PLATFORMS)('the path-first @SseChannel() on %s', (platform) => {
  @Controller('rooms')
  class RoomsController {
    @SseChannel(':id', { event: 'chat' })
    room(): void {}

    @SseChannel(':id/notifications', { channel: 'rooms/:id', event: 'notice' })
    notifications(): void {}
  }

  it("@Controller('rooms') + @SseChannel(':id') serves GET /rooms/42 on channel rooms/42; channel names another route's channel", async () => {
    const t = await boot(platform, [RoomsController]);
    try {
      const chat = await SseTestStream.open(t.server, { path: '/rooms/42' });
      const notices = await SseTestStream.open(t.server, { path: '/rooms/42/notifications' });
      const other = await SseTestStream.open(t.server, { path: '/rooms/7' });
      const broadcaster = t.app.get(SseBroadcaster);
      broadcaster.publish('rooms/7', 'elsewhere');
      broadcaster.publish('rooms/42', 'hi');
      expect((await chat.waitForEvents(1))[0]).toMatchObject({ event: 'chat', data: 'hi' });
      expect((await notices.waitForEvents(1))[0]).toMatchObject({ event: 'notice', data: 'hi' });
      expect((await other.waitForEvents(1)).map((e) => e.data)).toEqual(['elsewhere']);
      expect(broadcaster.clientCount('rooms/42')).toBe(2);
      await Promise.all([chat.close(), notices.close(), other.close()]);
    } finally {
      await t.close();
    }
  });

  it('the default channel leaves out the global prefix and the version', async () => {
    @Controller({ path: 'rooms', version: '2' })
    class VersionedRooms {
      @SseChannel(':id')
      room(): void {}
    }
    const t = await boot(platform, [VersionedRooms], (app) => {
      app.setGlobalPrefix('api');
      app.enableVersioning({ type: VersioningType.URI });
    });
    try {
      const stream = await SseTestStream.open(t.server, { path: '/api/v2/rooms/5' });
      t.app.get(SseBroadcaster).publish('rooms/5', 'v2');
      expect((await stream.waitForEvents(1))[0]).toMatchObject({ data: 'v2' });
      await stream.close();
    } finally {
      await t.close();
    }
  });

  it('the default channel leaves out a RouterModule prefix (the controller\'s path and the route\'s only)', async () => {
    @Controller('rooms')
    class AdminRooms {
      @SseChannel(':id')
      room(): void {}
    }
    @Module({ controllers: [AdminRooms] })
    class AdminModule {}
    const t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0 }), AdminModule, RouterModule.register([{ path: 'admin', module: AdminModule }])],
    });
    try {
      const stream = await SseTestStream.open(t.server, { path: '/admin/rooms/9' });
      t.app.get(SseBroadcaster).publish('rooms/9', 'routed');
      expect((await stream.waitForEvents(1))[0]).toMatchObject({ data: 'routed' });
      await stream.close();
    } finally {
      await t.close();
    }
  });

  it('a route served at several paths needs channel: start-up fails, naming the handler', async () => {
    @Controller(['rooms', 'chats'])
    class TwoPrefixes {
      @SseChannel(':id')
      room(): void {}
    }
    await expect(boot(platform, [TwoPrefixes])).rejects.toThrow(
      '@SseChannel() on TwoPrefixes.room is served at several paths ("rooms/:id", "chats/:id"), so its channel cannot default to its path. Name it with the option channel',
    );

    @Controller('rooms')
    class TwoPaths {
      @SseChannel([':id', ':id/live'])
      room(): void {}
    }
    await expect(boot(platform, [TwoPaths])).rejects.toThrow(/@SseChannel\(\) on TwoPaths\.room is served at several paths/);

    @Controller(['rooms', 'chats'])
    class Named {
      @SseChannel(':id', { channel: 'rooms/:id' })
      room(): void {}
    }
    const t = await boot(platform, [Named]);
    try {
      const stream = await SseTestStream.open(t.server, { path: '/chats/3' });
      t.app.get(SseBroadcaster).publish('rooms/3', 'via chats');
      expect((await stream.waitForEvents(1))[0]).toMatchObject({ data: 'via chats' });
      await stream.close();
    } finally {
      await t.close();
    }
  });

  // (Fastify's router refuses a named wildcard before any start-up hook runs: that case is Express's.)
  const cases: [string, RegExp][] = [
    ['user-:id', /its channel defaults to its path "user-:id", which cannot be a channel name: the channel name "user-:id" has "user-:id": a ":param" must be a whole/],
  ];
  if (platform === 'express') {
    cases.push(['files/*rest', /its channel defaults to its path "files\/\*rest", which cannot be a channel name: it has wildcards/]);
  }
  it.each(cases)('a path that is no channel name (%p) needs channel: start-up fails, naming the handler', async (path, message) => {
    @Controller()
    class Odd {
      @SseChannel(path)
      stream(): void {}
    }
    await expect(boot(platform, [Odd])).rejects.toThrow(message);
  });
});

describe('@SseChannel() arguments, checked when the decorator runs', () => {
  const declare = (path: unknown, options?: unknown) => () => {
    class Routes {
      @SseChannel(path as string, options as never)
      stream(): void {}
    }
    return Routes;
  };

  it('refuses the former path option, showing the new form', () => {
    expect(declare('rooms/:id', { path: ':id', event: 'chat' })).toThrow(
      `@SseChannel() on Routes.stream: the option "path" is gone: the first argument is the route path now, as in @Get() and @Sse(), and the option "channel" names the channel when it is not the path. Write @SseChannel(":id", { channel: "rooms/:id" }) instead.`,
    );
    expect(declare({ path: 'own', event: 'own' })).toThrow(/Write @SseChannel\("own"\) instead\./);
  });

  it('refuses a path that is not a string', () => {
    expect(declare(42)).toThrow('@SseChannel() on Routes.stream: invalid route path 42: pass a string or an array of strings');
  });

  // Defect: a channel with a control character could never be published to
  // (publish() refuses such names): its clients waited forever on a 200.
  it.each(['rooms/\n', 'a\x00b', 'tab\there', 'del\x7f'])('refuses a channel with a control character (%j)', (channel) => {
    expect(declare('x', { channel })).toThrow(/@SseChannel\(\) on Routes\.stream option channel: Invalid SSE channel name .*without control characters/);
  });

  it.each(['/rooms/:id', 'rooms/:id/', 'rooms//:id'])('refuses a channel with an empty segment (%j): it would be another channel than the one published to', (channel) => {
    expect(declare(':id', { channel })).toThrow(/@SseChannel\(\) on Routes\.stream option channel: Invalid SSE channel name .* — write "rooms\/:id"/);
  });
});
