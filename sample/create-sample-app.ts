import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import type { SampleOptions } from './sample-options.js';

/** Creates the sample app (not yet listening); the tests use it too. */
export async function createSampleApp(options: Partial<SampleOptions> = {}, logger = true): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register({ tickMs: options.tickMs ?? 1000, answerTokenMs: options.answerTokenMs ?? 120, redisUrl: options.redisUrl }), {
    logger: logger ? ['log', 'warn', 'error'] : false,
  });
  app.enableShutdownHooks();
  // The OpenAPI document at /docs (JSON at /docs-json): SSE routes document themselves.
  const config = new DocumentBuilder()
    .setTitle('nestjs-sse-channel sample')
    .setDescription('The SSE routes of the sample: each is a 200 text/event-stream response whose events are named in its description.')
    .build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, config));
  return app;
}
