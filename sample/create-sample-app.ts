import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import type { SampleOptions } from './sample-options.js';

/** Creates the sample app (not yet listening); the tests use it too. */
export async function createSampleApp(options: Partial<SampleOptions> = {}, logger = true): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register({ tickMs: options.tickMs ?? 1000, answerTokenMs: options.answerTokenMs ?? 120, redisUrl: options.redisUrl }), {
    logger: logger ? ['log', 'warn', 'error'] : false,
  });
  app.enableShutdownHooks();
  return app;
}
