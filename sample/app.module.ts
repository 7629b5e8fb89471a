import { Module, type DynamicModule } from '@nestjs/common';
import { RedisTransport, SseModule } from 'nestjs-sse-channel';
import { AnswersController } from './answers.controller.js';
import { EventsController } from './events.controller.js';
import { PageController } from './page.controller.js';
import { sampleIdentity } from './sample-identity.js';
import { RoomsController } from './rooms.controller.js';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';
import { TickerController } from './ticker.controller.js';

@Module({})
export class AppModule {
  static register(options: SampleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SseModule.forRoot({
          heartbeat: 15_000,
          history: { size: 200 },
          // The chat room's presence and "everyone but the sender" use it.
          identities: { identify: sampleIdentity, presenceLeaveDelay: 2000 },
          // One transport per application: register() runs once per app.
          transport: options.redisUrl ? new RedisTransport({ connection: options.redisUrl, keyPrefix: 'sse-sample:' }) : undefined,
        }),
      ],
      controllers: [PageController, TickerController, RoomsController, AnswersController, EventsController],
      providers: [{ provide: SAMPLE_OPTIONS, useValue: options }],
    };
  }
}
