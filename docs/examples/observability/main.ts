import './metrics.js'; // first: the SDK must be registered before NestFactory.create()
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
await app.listen(process.env.PORT ?? 3000);
console.log(`Listening on ${await app.getUrl()}; metrics at http://localhost:9464/metrics`);
