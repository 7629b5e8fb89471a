import * as common from '@nestjs/common';
import { Controller, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { of } from 'rxjs';
import {
  SseBroadcaster,
  SseChannel,
  SseModule,
  type SseModuleAsyncOptions,
  type SseOptionsFactory,
} from '../../lib/index.js';
import { collectSseEvents, SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS } from '../src/create-app.js';

@Controller()
class PingController {
  @SseChannel('ping', { event: 'pong' })
  ping(): void {}
}

@Injectable()
class ConfigStub {
  readonly retry = 1234;
}

@Module({ providers: [ConfigStub], exports: [ConfigStub] })
class ConfigStubModule {}

@Injectable()
class RetryOptions implements SseOptionsFactory {
  createSseOptions() {
    return { retry: 4321, heartbeat: 0 };
  }
}

@Module({ providers: [RetryOptions], exports: [RetryOptions] })
class OptionsModule {}

describe('the Nest major under test', () => {
  it(`is Nest ${process.env.SSE_EXPECT_NEST_MAJOR}`, () => {
    const isNest12 = 'StandardSchemaValidationPipe' in common;
    expect(isNest12 ? '12' : '11').toBe(process.env.SSE_EXPECT_NEST_MAJOR);
  });
});

describe.each(PLATFORMS)('SseModule on %s', (platform) => {
  it('forRootAsync() takes options from a factory with injected providers', async () => {
    const t = await createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          imports: [ConfigStubModule],
          inject: [ConfigStub],
          useFactory: (config: ConfigStub) => ({ retry: config.retry, heartbeat: 0 }),
        }),
      ],
      controllers: [PingController],
    });
    try {
      const stream = await SseTestStream.open(t.server, { path: '/ping' });
      t.app.get(SseBroadcaster).publish('ping', 'x');
      const [event] = await stream.waitForEvents(1);
      expect(stream.raw.startsWith('retry: 1234\n\n')).toBe(true);
      expect(event).toMatchObject({ event: 'pong', data: 'x', retry: 1234 });
      await stream.close();
    } finally {
      await t.close();
    }
  });

  it('forRootAsync() with @nestjs/config works as the README shows it: numbers from the environment', async () => {
    process.env.SSE_HEARTBEAT_MS = '0';
    process.env.SSE_RETRY_MS = '2500';
    try {
      const t = await createTestApp(platform, {
        imports: [
          ConfigModule.forRoot(),
          SseModule.forRootAsync({
            imports: [ConfigModule],
            inject: [ConfigService],
            useFactory: (config: ConfigService) => ({
              heartbeat: Number(config.get('SSE_HEARTBEAT_MS') ?? 15_000),
              limits: { maxClients: Number(config.get('SSE_MAX_CLIENTS') ?? 10_000) },
              retry: Number(config.get('SSE_RETRY_MS') ?? 3_000),
            }),
          }),
        ],
        controllers: [PingController],
      });
      try {
        const stream = await SseTestStream.open(t.server, { path: '/ping' });
        t.app.get(SseBroadcaster).publish('ping', 'hi');
        expect((await stream.waitForEvents(1))[0]).toMatchObject({ event: 'pong', data: 'hi', retry: 2500 });
        await stream.close();
      } finally {
        await t.close();
      }
      // the string as it comes from the environment is refused, naming the option
      await expect(
        createTestApp(platform, {
          imports: [
            ConfigModule.forRoot(),
            SseModule.forRootAsync({
              imports: [ConfigModule],
              inject: [ConfigService],
              useFactory: (config: ConfigService) => ({ heartbeat: config.get('SSE_HEARTBEAT_MS'), retry: 2500 }),
            }),
          ],
          controllers: [PingController],
        }),
      ).rejects.toThrow(
        'Invalid SseModule options.heartbeat "0": it must be a non-negative integer (milliseconds; 0 turns heartbeats off). It is a string: values from process.env or ConfigService are strings, convert them with Number(…).',
      );
    } finally {
      delete process.env.SSE_HEARTBEAT_MS;
      delete process.env.SSE_RETRY_MS;
    }
  });

  it('forRootAsync() takes options from a class (useClass) or an existing provider (useExisting)', async () => {
    for (const async of [
      { useClass: RetryOptions },
      { imports: [OptionsModule], useExisting: RetryOptions },
    ] satisfies SseModuleAsyncOptions[]) {
      const t = await createTestApp(platform, { imports: [SseModule.forRootAsync(async)], controllers: [PingController] });
      try {
        const stream = await SseTestStream.open(t.server, { path: '/ping' });
        t.app.get(SseBroadcaster).publish('ping', 'x');
        expect((await stream.waitForEvents(1))[0]).toMatchObject({ event: 'pong', data: 'x', retry: 4321 });
        await stream.close();
      } finally {
        await t.close();
      }
    }
  });

  it('forRootAsync() checks the options the factory returns', async () => {
    await expect(
      createTestApp(platform, {
        imports: [SseModule.forRootAsync({ useFactory: () => ({ heartbeat: -5 }) })],
        controllers: [PingController],
      }),
    ).rejects.toThrow(/Invalid SseModule options\.heartbeat -5/);
  });

  it('fails start-up, naming the handler, when a channel :param is not a param of the route\'s path', async () => {
    @Controller('feed')
    class NoParamController {
      @SseChannel('rooms', { channel: 'rooms/:id' })
      stream(): void {}
    }
    await expect(
      createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [NoParamController] }),
    ).rejects.toThrow(
      '@SseChannel() on NoParamController.stream: the channel "rooms/:id" needs the route parameter ":id", but the route\'s path "/feed/rooms" has none',
    );
  });

  it('takes a channel :param from the controller\'s path', async () => {
    @Controller('orgs/:org')
    class OrgController {
      @SseChannel('feed', { event: 'org' })
      stream(): void {}
    }
    const t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [OrgController] });
    try {
      const stream = await SseTestStream.open(t.server, { path: '/orgs/acme/feed' });
      t.app.get(SseBroadcaster).publish('orgs/acme/feed', 'hi');
      expect((await stream.waitForEvents(1))[0]).toMatchObject({ event: 'org', data: 'hi' });
      await stream.close();
    } finally {
      await t.close();
    }
  });

  it('global: false makes SseModule a plain module that must be imported where used', async () => {
    @Injectable()
    class NeedsBroadcaster {
      constructor(readonly broadcaster: SseBroadcaster) {}
    }
    @Module({ providers: [NeedsBroadcaster] })
    class FeatureWithoutImport {}
    await expect(
      createTestApp(platform, { imports: [SseModule.forRoot({ global: false }), FeatureWithoutImport] }),
    ).rejects.toThrow(/SseBroadcaster/);

    @Module({ imports: [SseModule.forRoot({ global: false })], providers: [NeedsBroadcaster] })
    class FeatureWithImport {}
    const t = await createTestApp(platform, { imports: [FeatureWithImport] });
    expect(t.app.get(NeedsBroadcaster).broadcaster).toBeInstanceOf(SseBroadcaster);
    await t.close();
  });

  it('fails start-up with the route and the fix when SseModule is not imported, not with internal names', async () => {
    @Controller('rooms')
    class ForgottenController {
      @SseChannel(':id')
      stream(): void {}
    }
    const failure = createTestApp(platform, { controllers: [ForgottenController] });
    await expect(failure).rejects.toThrow(
      'SseModule is not imported, but @SseChannel() on ForgottenController.stream (GET :id) needs it. Fix: add SseModule.forRoot()',
    );
    await expect(failure).rejects.not.toThrow(/can't resolve|ChannelRegistry|StreamOpener/);

    // global: false, imported at the root but not by the controller's module
    @Module({ controllers: [ForgottenController] })
    class FeatureWithoutImport {}
    await expect(
      createTestApp(platform, { imports: [SseModule.forRoot({ global: false }), FeatureWithoutImport] }),
    ).rejects.toThrow(/SseModule is not imported, but @SseChannel\(\) on ForgottenController\.stream .*with \{ global: false \}, import it into the module that declares this controller/);
  });
});

describe('start-up checks of static options', () => {
  it('forRootAsync() needs exactly one way to get the options', () => {
    expect(() => SseModule.forRootAsync({} as never)).toThrow(
      'SseModule.forRootAsync() needs exactly one of useFactory (a function that returns the module options), useClass or useExisting (a class with createSseOptions()).',
    );
    expect(() => SseModule.forRootAsync({ useClass: RetryOptions, useFactory: () => ({}) })).toThrow(/, not useFactory and useClass\.$/);
  });

  it('@SseChannel(path, { event }) streams a per-client Observable under the route\'s event name', async () => {
    @Controller()
    class CountController {
      @SseChannel('count', { event: 'n' })
      count() {
        return of(1, 2);
      }
    }
    const t = await createTestApp('express', { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [CountController] });
    try {
      const { events } = await collectSseEvents(t.server, { path: '/count' });
      expect(events.map((e) => [e.event, e.data])).toEqual([
        ['n', '1'],
        ['n', '2'],
      ]);
    } finally {
      await t.close();
    }
  });

  it('forRoot() refuses bad options, naming the option and the fix', () => {
    expect(() => SseModule.forRoot({ heartbeat: 1.5 })).toThrow(/Invalid SseModule options\.heartbeat 1\.5: it must be a non-negative integer/);
    expect(() => SseModule.forRoot({ history: { size: -1 } })).toThrow(/SseModule options\.history\.size -1/);
    expect(() => SseModule.forRoot({ limits: { maxQueuedBytes: '1mb' as never } })).toThrow(/limits\.maxQueuedBytes "1mb"/);
    expect(() => SseModule.forRoot({ retry: -3 })).toThrow(/SseModule options: Invalid SSE retry -3/);
    expect(() => SseModule.forRoot({ events: { reset: 'a\nb' } })).toThrow(/Invalid SSE events\.reset "a\\nb"/);
    expect(() => SseModule.forRoot({ events: { shutdown: 'bye\r' } })).toThrow(/Invalid SSE events\.shutdown "bye\\r"/);
    expect(() => SseModule.forRoot({ history: { ttl: -1 } })).toThrow(/SseModule options\.history\.ttl -1/);
    expect(() => SseModule.forRoot({ channels: { 'rooms/:id': { size: -2 } } })).toThrow(/SseModule options\.channels\["rooms\/:id"\]\.size -2/);
    expect(() => SseModule.forRoot({ hearbeat: 5 } as never)).toThrow(/Unknown option "hearbeat" in SseModule options/);
  });

  it('@SseChannel() refuses bad route options when the class is defined', () => {
    expect(() => {
      class Bad {
        @SseChannel('x', { event: 'a\nb' })
        route(): void {}
      }
      return Bad;
    }).toThrow(/@SseChannel\(\) on Bad\.route options: Invalid SSE event "a\\nb": it must not contain CR or LF/);
    expect(() => {
      class Bad {
        @SseChannel('x', { retry: -1 })
        route(): void {}
      }
      return Bad;
    }).toThrow(/Bad\.route options: Invalid SSE retry -1/);
    expect(() => {
      class Bad {
        @SseChannel('x', { channel: '' })
        route(): void {}
      }
      return Bad;
    }).toThrow(/@SseChannel\(\) on Bad\.route option channel: Invalid SSE channel name ""/);
    expect(() => {
      class Bad {
        @SseChannel('x', { evnt: 'typo' } as never)
        route(): void {}
      }
      return Bad;
    }).toThrow(/Unknown option "evnt" in @SseChannel\(\) on Bad\.route/);
  });
});
