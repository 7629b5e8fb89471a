import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setUpSwagger } from './swagger.js';

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
setUpSwagger(app);
await app.listen(process.env.PORT ?? 3000);
console.log(`Swagger UI at ${await app.getUrl()}/docs`);
