import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS } from '../src/create-app.js';
import { FeedController } from '../src/feed.controller.js';

@Injectable()
class StampInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    // Express's res.header() and Fastify's reply.header() alike
    context.switchToHttp().getResponse<{ header(name: string, value: string): void }>().header('x-stamp', 'intercepted');
    return next.handle();
  }
}

describe.each(PLATFORMS)('headers from CORS and interceptors on %s', (platform) => {
  it('keeps headers set by CORS and by a global interceptor before the handler', async () => {
    const t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [FeedController] }, (app) => {
      app.enableCors({ origin: 'http://app.example', exposedHeaders: ['x-stamp'] });
      app.useGlobalInterceptors(new StampInterceptor());
    });
    try {
      const stream = await SseTestStream.open(t.server, { path: '/feed/news', headers: { origin: 'http://app.example' } });
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream');
      expect(stream.headers['access-control-allow-origin']).toBe('http://app.example');
      expect(stream.headers['x-stamp']).toBe('intercepted');
      await stream.close();
    } finally {
      await t.close();
    }
  });
});
