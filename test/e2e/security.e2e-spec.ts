import { Controller, Injectable, UseGuards, type CanActivate } from '@nestjs/common';
import request from 'supertest';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../src/create-app.js';
import { LogCapture } from '../src/log-capture.js';
import { handlerRuns, ProfileController } from '../src/security.controller.js';
import { until } from '../src/until.js';

describe.each(PLATFORMS)('route params on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  let registry: ChannelRegistry;
  const logs = new LogCapture();
  const open = (path: string) => SseTestStream.open(t.server, { path });

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [ProfileController] }, (app) =>
      app.useLogger(logs),
    );
    broadcaster = t.app.get(SseBroadcaster);
    registry = t.app.get(ChannelRegistry);
  });
  afterAll(() => t.close());

  it.each([
    ['an encoded slash', '/users/1%2Fprivate', 'id', '1/private'],
    ['a lower-case encoded slash', '/users/1%2fprivate', 'id', '1/private'],
    ['a slash in the first of two params', '/orgs/acme%2Fadmin/teams/red', 'org', 'acme/admin'],
    ['a slash in the second of two params', '/orgs/acme/teams/red%2Fx', 'team', 'red/x'],
    ['a line feed', '/users/1%0Aprivate', 'id', '1\nprivate'],
    ['a NUL', '/users/1%00', 'id', '1\u0000'],
    ['a DEL', '/users/1%7F', 'id', '1\u007f'],
  ])('refuses %s in a channel param with a 400 that names it, before the handler runs', async (_, path, param, value) => {
    const runs = { ...handlerRuns };
    const channelsBefore = [...registry.entries()].map(([name]) => name);
    const stream = await open(path);
    await stream.waitForEnd();
    expect(stream.status).toBe(400);
    expect(stream.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(stream.body);
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.message).toContain(`Invalid route parameter "${param}" ${JSON.stringify(value)}`);
    expect(body.message).toContain('must not contain "/" or control characters');
    expect(handlerRuns).toEqual(runs);
    // Nothing streamed, no channel created.
    expect(stream.events).toEqual([]);
    expect([...registry.entries()].map(([name]) => name)).toEqual(channelsBefore);
    expect(broadcaster.totals().streams).toBe(0);
  });

  it('so the open route can never reach the guarded route\'s channel', async () => {
    const [profile, team] = await Promise.all([open('/users/1'), open('/orgs/acme/teams/red')]);
    expect(profile.status).toBe(200);
    const guarded = await open('/users/1/private');
    await guarded.waitForEnd();
    expect(guarded.status).toBe(403);
    broadcaster.publish('users/1/private', 'secret');
    broadcaster.publish('orgs/acme/admin/teams/red', 'secret');
    broadcaster.publish('users/1', 'public');
    broadcaster.publish('orgs/acme/teams/red', 'team');
    const [[first], [second]] = await Promise.all([profile.waitForEvents(1), team.waitForEvents(1)]);
    expect([first.data, second.data]).toEqual(['public', 'team']);
    expect(broadcaster.clientCount('users/1/private')).toBe(0);
    await Promise.all([profile.close(), team.close()]);
  });

  it('logs a refusal at debug level only (it is client input)', async () => {
    const stream = await open('/users/7%2Fprivate');
    await stream.waitForEnd();
    const entries = logs.find('Invalid route parameter "id" "7/private"');
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(new Set(entries.map((entry) => entry.level))).toEqual(new Set(['debug']));
  });
});

describe('channel names with :params', () => {
  const declare = (channel: string) => {
    class Routes {
      @SseChannel('stream', { channel })
      stream(): void {}
    }
    return Routes;
  };

  it.each(['user-:id', 'users/:id-x', 'users/x:id', 'chat:general', 'rooms/:id/:'])(
    'refuses %p when the decorator runs: a :param must be a whole segment',
    (channel) => {
      expect(() => declare(channel)).toThrow(
        new RegExp(`^@SseChannel\\(\\) on Routes\\.stream option channel: the channel name "${channel}" has ".*": a ":param" must be a whole "/"-separated segment.*e\\.g\\. "users/:id" instead of "user-:id"`),
      );
    },
  );

  it.each(['rooms/:id', 'orgs/:org/teams/:team', ':tenant/news', 'plain/name'])('accepts %p', (channel) => {
    expect(() => declare(channel)).not.toThrow();
  });
});

@Injectable()
class InternalGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('news')
class NewsController {
  @SseChannel(':topic')
  topic(): void {}

  @UseGuards(InternalGuard)
  @SseChannel('internal/stream', { channel: 'news/internal' })
  internal(): void {}
}

/** The README's layout: one channel on two paths, the same guards. */
@UseGuards(InternalGuard)
@Controller('rooms')
class RoomsController {
  @SseChannel(':id', { event: 'chat' })
  chat(): void {}

  @SseChannel(':id/notifications', { channel: 'rooms/:id', event: 'notice' })
  notifications(): void {}
}

@Controller('reports')
class ReportsController {
  @SseChannel('reports/:id', { channel: 'reports/:id' })
  open(): void {}

  @UseGuards(InternalGuard)
  @SseChannel('reports/:id/admin', { channel: 'reports/:id' })
  admin(): void {}
}

describe.each(PLATFORMS)('channels reached by routes with different guards, on %s', (platform: Platform) => {
  const boot = async (controllers: unknown[]) => {
    const logs = new LogCapture();
    const t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: controllers as never[] }, (app) =>
      app.useLogger(logs),
    );
    await t.close();
    return logs.at('warn');
  };

  it('warns once at start-up, naming both routes, when an open :param route meets a guarded one', async () => {
    const warnings = await boot([NewsController, RoomsController, ProfileController]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Two @SseChannel() routes can put clients on the same channel (e.g. "news/internal") with different guards');
    expect(warnings[0]).toContain('NewsController.topic (/news/:topic), channel "news/:topic", no guards');
    expect(warnings[0]).toContain('NewsController.internal (/news/internal/stream), channel "news/internal", guards InternalGuard');
    expect(warnings[0]).toContain('A channel is only as protected as the least-guarded route that reaches it');
  });

  it('warns when one channel name is used by routes with different guards', async () => {
    const warnings = await boot([ReportsController]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ReportsController.open (/reports/reports/:id), channel "reports/:id", no guards');
    expect(warnings[0]).toContain('ReportsController.admin (/reports/reports/:id/admin), channel "reports/:id", guards InternalGuard');
  });

  it('stays silent for routes that share a channel with the same guards, and for names that cannot meet', async () => {
    expect(await boot([RoomsController, ProfileController])).toEqual([]);
  });
});

describe.each(PLATFORMS)('maxClients on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string) => SseTestStream.open(t.server, { path });

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, limits: { maxClients: 3 }, retry: 2000 })],
      controllers: [ProfileController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('refuses a stream beyond the cap with 503, Retry-After and JSON, before any SSE header; open streams go on', async () => {
    const streams = await Promise.all([open('/users/1'), open('/users/2'), open('/ticks')]);
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    expect(broadcaster.totals()).toMatchObject({ streams: 3, maxClients: 3 });
    const runs = { ...handlerRuns };

    for (const path of ['/users/3', '/ticks']) {
      const refused = await request(t.server).get(path).set('accept', 'text/event-stream');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('2');
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(refused.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Too many open event streams on this instance (maxClients 3). Retry after 2 s.',
      });
    }
    expect(handlerRuns).toEqual(runs);
    expect(broadcaster.totals()).toMatchObject({ streams: 3, refusedStreams: 2 });

    // The open streams are not disturbed.
    broadcaster.publish('users/1', 'one');
    broadcaster.publish('users/2', 'two');
    const ticksBefore = streams[2].events.length;
    await Promise.all([streams[0].waitForEvents(1), streams[1].waitForEvents(1), streams[2].waitForEvents(ticksBefore + 2)]);
    expect(streams[0].events.map((e) => e.data)).toEqual(['one']);

    // A stream is accepted again as soon as one closes.
    await streams[0].close();
    await until(() => broadcaster.totals().streams === 2, 'the closed stream to be gone');
    const again = await open('/users/1');
    expect(again.status).toBe(200);
    await Promise.all([again, ...streams.slice(1)].map((s) => s.close()));
    await until(() => broadcaster.totals().streams === 0, 'every stream to be gone');
  });

  it('counts streams whose handler is still running: of 8 simultaneous requests exactly 3 open', async () => {
    const runs = handlerRuns.slowStart;
    const results = await Promise.all(Array.from({ length: 8 }, () => open('/slow-start')));
    const statuses = results.map((s) => s.status).sort();
    expect(statuses).toEqual([200, 200, 200, 503, 503, 503, 503, 503]);
    expect(handlerRuns.slowStart - runs).toBe(3);
    expect(broadcaster.totals().streams).toBe(3);
    await Promise.all(results.map((s) => s.close()));
    await until(() => broadcaster.totals().streams === 0, 'every stream to be gone');
  });

  it('gives the place back when a request ends without a stream (a refused param, a HEAD request)', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await request(t.server).get('/users/1%2Fx')).status).toBe(400);
      expect((await request(t.server).head('/users/1')).status).toBe(200);
    }
    const streams = await Promise.all([open('/users/1'), open('/users/2'), open('/users/3')]);
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    await Promise.all(streams.map((s) => s.close()));
  });
});
