import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule);
// Streams end cleanly on Ctrl-C or a deploy's SIGTERM (each client reconnects with its last id).
app.enableShutdownHooks();
await app.listen(process.env.PORT ?? 3000);
console.log(`Listening on ${await app.getUrl()}`);
