// What Nest users do today: @Sse() returning a shared Subject (Express).
import 'reflect-metadata';
import { Module, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Subject, finalize, map } from 'rxjs';
import { routeController } from './controller.mjs';
import { serve } from './protocol.mjs';

const events = new Subject();
let clients = 0;

const FeedController = routeController(
  'feed',
  () => {
    clients++;
    return events.pipe(
      map((data) => ({ data })),
      finalize(() => clients--),
    );
  },
  Sse('feed'),
);
class AppModule {}
Module({ controllers: [FeedController] })(AppModule);

const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
await app.listen(0, '127.0.0.1');
serve(app.getHttpServer().address().port, (data) => events.next(data), () => clients);
