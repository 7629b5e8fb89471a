// Run with test/src/hide-package.mjs preloaded (SSE_HIDE_PACKAGE=@opentelemetry/api), on the built library: an
// app with a channel route streams and publishes with `metrics` left out, and
// `metrics: true` fails at start-up saying how to install the API.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { request } from 'node:http';
import { SseBroadcaster, SseChannel, SseModule } from '../../dist/index.js';

try {
  await import('@opentelemetry/api');
  console.log('api visible');
} catch (error) {
  console.log(`api hidden: ${error.code}`);
}

class NewsController {
  news() {}
}
Controller()(NewsController);
const descriptor = Object.getOwnPropertyDescriptor(NewsController.prototype, 'news');
Object.defineProperty(NewsController.prototype, 'news', SseChannel('news')(NewsController.prototype, 'news', descriptor) ?? descriptor);

const appModule = (options) => {
  class AppModule {}
  Module({ imports: [SseModule.forRoot(options)], controllers: [NewsController] })(AppModule);
  return AppModule;
};

const app = await NestFactory.create(appModule({ heartbeat: 0 }), { logger: false });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();
const data = await new Promise((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port, path: '/news', headers: { accept: 'text/event-stream' } }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      text += chunk;
      const match = /^data: (.*)$/m.exec(text);
      if (match) {
        resolve(match[1]);
        req.destroy();
      }
    });
    app.get(SseBroadcaster).publish('news', { text: 'hello' }).catch(reject);
  });
  req.on('error', reject);
  req.end();
});
console.log(`event: ${data}`);
await app.close();

try {
  const failing = await NestFactory.create(appModule({ metrics: true }), { logger: false, abortOnError: false });
  await failing.init();
  console.log('metrics: true → started');
  await failing.close();
} catch (error) {
  console.log(`metrics: true → ${error.message}`);
}
