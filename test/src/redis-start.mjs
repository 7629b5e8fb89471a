// Starts an app on the built library with the Redis transport configured by
// URL; prints the start-up error and exits 1 if it fails.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisTransport, SseModule } from '../../dist/index.js';

class AppModule {}
Module({ imports: [SseModule.forRoot({ transport: new RedisTransport({ connection: process.argv[2] }) })] })(AppModule);

try {
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.init();
  await app.close();
  console.log('started');
  process.exit(0);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
