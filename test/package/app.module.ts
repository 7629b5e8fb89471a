// A fresh user's app, as in the README: installed from the packed tarball (or
// from git) by scripts/test-package.mjs, type-checked with the app's own
// TypeScript and module resolution, built and booted.
import { Controller, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SseBroadcaster, SseChannel, SseModule } from 'nestjs-sse-channel';

@Controller()
export class TicksController {
  @SseChannel('ticks', { event: 'tick' })
  ticks(): void {}
}

@Module({
  imports: [SseModule.forRoot({ heartbeat: 0, limits: { maxClients: 100 } })],
  controllers: [TicksController],
})
export class AppModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly broadcaster: SseBroadcaster) {}

  onApplicationBootstrap(): void {
    let n = 0;
    this.timer = setInterval(() => this.broadcaster.publish('ticks', { n: ++n, at: new Date().toISOString() }), 50);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
