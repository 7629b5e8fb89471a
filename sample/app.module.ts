import { Module, type DynamicModule } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { PageController } from './page.controller.js';
import { RoomsController } from './rooms.controller.js';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';
import { TickerController } from './ticker.controller.js';

@Module({})
export class AppModule {
  static register(options: SampleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [SseModule.forRoot({ heartbeat: 15_000, history: 200 })],
      controllers: [PageController, TickerController, RoomsController],
      providers: [{ provide: SAMPLE_OPTIONS, useValue: options }],
    };
  }
}
