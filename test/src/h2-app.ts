import 'reflect-metadata';
import { Controller, Get, Header, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { SseChannel, SseModule } from '../../lib/index.js';

@Controller('h2')
export class H2Controller {
  /** A page of the app's own origin for the browser test's EventSources. */
  @Get('page')
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return '<!doctype html><title>h2</title>';
  }

  @SseChannel('stream/:topic', { channel: 'h2/:topic' })
  stream(): void {}
}

export interface H2App {
  app: INestApplication;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The app on Fastify over HTTP/2: cleartext (h2c) without `tls`, else TLS with
 * HTTP/1.1 allowed too (what browsers need: they speak HTTP/2 only over TLS).
 * Without `http2` it is plain HTTP/1.1, for comparison.
 */
export async function createH2App({
  http2 = true,
  tls,
  port = 0,
  retry,
}: { http2?: boolean; tls?: { key: string; cert: string }; port?: number; retry?: number } = {}): Promise<H2App> {
  const moduleRef = await Test.createTestingModule({ imports: [SseModule.forRoot({ heartbeat: 0, retry })], controllers: [H2Controller] }).compile();
  const options = !http2 ? {} : tls ? { http2: true, https: { allowHTTP1: true, ...tls } } : { http2: true };
  const app = moduleRef.createNestApplication(new FastifyAdapter(options as never), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.listen(port, '127.0.0.1');
  const address = (app.getHttpServer() as Server).address() as { port: number };
  return { app, url: `${tls ? 'https' : 'http'}://127.0.0.1:${address.port}`, port: address.port, close: () => app.close() };
}
