// What Nest users do today: @Sse() returning a shared Subject (Express).
import 'reflect-metadata';
import { Controller, Module, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Subject, finalize, map } from 'rxjs';
import { serve } from './protocol.mjs';

const events = new Subject();
let clients = 0;

class FeedController {
  feed() {
    clients++;
    return events.pipe(
      map((data) => ({ data })),
      finalize(() => clients--),
    );
  }
}
const descriptor = Object.getOwnPropertyDescriptor(FeedController.prototype, 'feed');
Sse('feed')(FeedController.prototype, 'feed', descriptor);
Object.defineProperty(FeedController.prototype, 'feed', descriptor);
Controller()(FeedController);
class AppModule {}
Module({ controllers: [FeedController] })(AppModule);

const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
await app.listen(0, '127.0.0.1');
serve(app.getHttpServer().address().port, (data) => events.next(data), () => clients);
