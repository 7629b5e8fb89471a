import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

// HTTP/2 over TLS (browsers speak HTTP/2 only over TLS): every EventSource of a page shares one connection.
// allowHTTP1: clients without HTTP/2 still get HTTP/1.1.
const adapter = new FastifyAdapter({
  http2: true,
  https: {
    allowHTTP1: true,
    key: readFileSync(process.env.TLS_KEY_FILE ?? 'tls/key.pem'),
    cert: readFileSync(process.env.TLS_CERT_FILE ?? 'tls/cert.pem'),
  },
});
const app = await NestFactory.create(AppModule, adapter);
app.enableShutdownHooks();
await app.listen(process.env.PORT ?? 3443, process.env.HOST ?? '0.0.0.0');
console.log(`Listening on ${await app.getUrl()}`);
