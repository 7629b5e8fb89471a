// Issue 22 §3, no silent mistakes: what used to fail quietly now works, or
// fails at start-up or warns, saying what is wrong and what to do.
import { Controller, Injectable, Res, Sse, type OnModuleInit } from '@nestjs/common';
import { interval, map, of } from 'rxjs';
import { RedisTransport, SseBroadcaster, SseChannel, SseChannels, SseModule, type SseModuleOptions } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type Platform } from '../src/create-app.js';
import { LogCapture } from '../src/log-capture.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

@Controller()
class SseAboveController {
  @Sse('ticks')
  @SseChannel('ticks')
  ticks(): void {}
}

@Controller()
class SseBelowController {
  @SseChannel('ticks')
  @Sse('ticks')
  ticks() {
    return of({ data: 1 });
  }
}

@Controller()
class SseOnManyController {
  @Sse('mine')
  @SseChannels('mine')
  mine(): string[] {
    return ['a'];
  }
}

/** What Express's `res` and Fastify's `reply` both have. */
interface HeaderSetter {
  header(name: string, value: string): void;
}

@Controller('passthrough')
class PassthroughController {
  @SseChannel('channel')
  channel(@Res({ passthrough: true }) res: HeaderSetter): void {
    res.header('x-set-by', 'handler');
  }

  @SseChannel('own')
  own(@Res({ passthrough: true }) res: HeaderSetter) {
    res.header('x-set-by', 'handler');
    return interval(20).pipe(map((n) => ({ data: `n${n}` })));
  }
}

@Controller('rooms')
class RoomsController {
  @SseChannel(':id', { from: 'start' })
  room(): void {}
}

@Controller('answers')
class AnswersController {
  @SseChannels()
  answers(): string[] {
    return ['answers/1'];
  }
}

/** Publishes before the application has started: in its constructor and in onModuleInit(). */
@Injectable()
class EarlyPublisher implements OnModuleInit {
  readonly ids: Promise<string>[] = [];

  constructor(private readonly broadcaster: SseBroadcaster) {
    this.ids.push(broadcaster.publish('rooms/early', 'from the constructor'));
  }

  onModuleInit(): void {
    this.ids.push(this.broadcaster.publish('rooms/early', 'from onModuleInit'));
  }
}

const module = (options: SseModuleOptions = {}) => SseModule.forRoot({ heartbeat: 0, ...options });

describe.each(PLATFORMS)('no silent mistakes on %s', (platform: Platform) => {
  it.each([
    ["Nest's @Sse() above @SseChannel()", SseAboveController, 'SseAboveController.ticks', 'SseChannel'],
    ["Nest's @Sse() below @SseChannel()", SseBelowController, 'SseBelowController.ticks', 'SseChannel'],
    ["Nest's @Sse() with @SseChannels()", SseOnManyController, 'SseOnManyController.mine', 'SseChannels'],
  ])('%s on one method fails start-up, naming the method', async (_where, controller, handler, kind) => {
    await expect(createTestApp(platform, { imports: [module()], controllers: [controller] })).rejects.toThrow(
      `${handler} has both Nest's @Sse() and @${kind}(): Nest would serve it as its own @Sse() stream, and no channel would ever be joined, silently. Remove @Sse(): @${kind}() is the route`,
    );
  });

  it('@Res({ passthrough: true }) on an SSE route: the stream goes on, with the headers the handler set', async () => {
    const t = await createTestApp(platform, { imports: [module()], controllers: [PassthroughController] });
    try {
      const channel = await SseTestStream.open(t.server, { path: '/passthrough/channel' });
      expect(channel.status).toBe(200);
      expect(channel.headers['x-set-by']).toBe('handler');
      void t.app.get(SseBroadcaster).publish('passthrough/channel', 'one');
      void t.app.get(SseBroadcaster).publish('passthrough/channel', 'two');
      expect((await channel.waitForEvents(2)).map((e) => e.data)).toEqual(['one', 'two']);
      await channel.close();

      const own = await SseTestStream.open(t.server, { path: '/passthrough/own' });
      expect(own.headers['x-set-by']).toBe('handler');
      expect((await own.waitForEvents(3)).map((e) => e.data)).toEqual(['n0', 'n1', 'n2']);
      await own.close();
    } finally {
      await t.close();
    }
  });

  it('a publish to a channel no route streams is warned about once, with the declared channel it is nearest to', async () => {
    const logs = new LogCapture();
    const t = await createTestApp(platform, { imports: [module()], controllers: [RoomsController] }, (app) => app.useLogger(logs));
    try {
      const broadcaster = t.app.get(SseBroadcaster);
      await broadcaster.publish('room/42', 'lost');
      await broadcaster.publish('room/42', 'lost again');
      await broadcaster.publish('rooms/42', 'streamed');
      const warnings = logs.at('warn');
      expect(warnings).toEqual([expect.stringMatching(/^publish\(\) to "room\/42": no route of this application streams that channel/)]);
      expect(warnings[0]).toContain('("rooms/:id")');
      expect(warnings[0]).toContain('Did you mean "rooms/:id"?');
    } finally {
      await t.close();
    }
  });

  it('says nothing in production (NODE_ENV=production), nor where @SseChannels() routes name channels per request', async () => {
    const logs = new LogCapture();
    const was = process.env.NODE_ENV;
    const restore = () => (was === undefined ? delete process.env.NODE_ENV : (process.env.NODE_ENV = was));
    process.env.NODE_ENV = 'production';
    try {
      const t = await createTestApp(platform, { imports: [module()], controllers: [RoomsController] }, (app) => app.useLogger(logs));
      restore(); // (read once, when the module is created)
      await t.app.get(SseBroadcaster).publish('room/42', 'lost');
      await t.close();
    } finally {
      restore();
    }
    const t = await createTestApp(platform, { imports: [module()], controllers: [RoomsController, AnswersController] }, (app) => app.useLogger(logs));
    await t.app.get(SseBroadcaster).publish('answers/2', 'not joined yet');
    await t.close();
    expect(logs.at('warn')).toEqual([]);
  });

  it('publish() before the application has started (constructor, onModuleInit) is kept: a client from the start gets it', async () => {
    const logs = new LogCapture();
    const t = await createTestApp(platform, { imports: [module()], controllers: [RoomsController], providers: [EarlyPublisher] }, (app) =>
      app.useLogger(logs),
    );
    try {
      const ids = await Promise.all(t.app.get(EarlyPublisher).ids);
      const stream = await SseTestStream.open(t.server, { path: '/rooms/early' });
      const events = await stream.waitForEvents(2);
      expect(events.map((e) => [e.data, e.id])).toEqual([
        ['from the constructor', ids[0]],
        ['from onModuleInit', ids[1]],
      ]);
      await stream.close();
      expect(logs.at('warn')).toEqual([]); // (checked once the routes were known: rooms/early is a room)
    } finally {
      await t.close();
    }
  });
});

const hasRedis = redisServerAvailable();

(hasRedis ? describe : describe.skip)('publish() before the application has started, on Redis', () => {
  let redis: RedisServer;
  let prefixes = 0;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it.each(PLATFORMS)('on %s: sent once the transport is up, in order; a client from the start gets it, with Redis ids', async (platform) => {
    const transport = new RedisTransport({ connection: redis.url, keyPrefix: `early${prefixes++}:` });
    const t = await createTestApp(platform, { imports: [module({ transport })], controllers: [RoomsController], providers: [EarlyPublisher] });
    try {
      const ids = await Promise.all(t.app.get(EarlyPublisher).ids);
      expect(ids).toEqual([expect.stringMatching(/^\d+-\d+\.[0-9a-z]{5}$/), expect.stringMatching(/^\d+-\d+\.[0-9a-z]{5}$/)]);
      const stream = await SseTestStream.open(t.server, { path: '/rooms/early' });
      const events = await stream.waitForEvents(2);
      expect(events.map((e) => [e.data, e.id])).toEqual([
        ['from the constructor', ids[0]],
        ['from onModuleInit', ids[1]],
      ]);
      await stream.close();
    } finally {
      await t.close();
    }
  });
});
