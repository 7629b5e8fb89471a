// How long app.close() takes with many open streams, on Express and Fastify.
//   npm run build && node bench/shutdown.mjs [streams=10000] [runs=3]
// The clients run in a separate process (test/src/many-clients.mjs); loopback only.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseChannel, SseModule } from 'nestjs-sse-channel';
import { routeController } from './servers/controller.mjs';

const streams = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 3);
const clientScript = fileURLToPath(new URL('../test/src/many-clients.mjs', import.meta.url));

const ShutdownController = routeController('stream', () => undefined, SseChannel('shutdown'));
class ShutdownModule {}
Module({ imports: [SseModule.forRoot()], controllers: [ShutdownController] })(ShutdownModule);

async function once(platform) {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(ShutdownModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const child = spawn(process.execPath, [clientScript, `http://127.0.0.1:${port}/shutdown`, String(streams)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  let ms;
  for await (const line of lines) {
    if (line.startsWith('open')) {
      const started = performance.now();
      await app.close();
      ms = performance.now() - started;
    } else if (line.startsWith('ended')) {
      break;
    } else {
      throw new Error(`clients: ${line}`);
    }
  }
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = { express: [], fastify: [] };
for (let run = 0; run < runs; run++) {
  for (const platform of Object.keys(results)) {
    results[platform].push(await once(platform));
  }
}
for (const [platform, values] of Object.entries(results)) {
  console.log(`${platform}: app.close() with ${streams} open streams: median ${median(values).toFixed(0)} ms (runs: ${values.map((v) => v.toFixed(0)).join(', ')})`);
}
