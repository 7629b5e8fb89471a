// How long a stream request beyond limits.maxClients takes to be refused (503 with
// Retry-After, before any SSE header), with the cap's streams open, against
// a plain JSON route of the same app as the baseline — Express and Fastify.
//   npm run build && node bench/cap.mjs [streams=10000] [requests=2000]
// The open streams come from a separate process (test/src/many-clients.mjs);
// the timed requests are sent one at a time over one keep-alive connection
// from this process. Loopback only.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:http';
import { Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseBroadcaster, SseChannel, SseModule } from 'nestjs-sse-channel';
import { routeController } from './servers/controller.mjs';

const streams = Number(process.argv[2] ?? 10_000);
const requests = Number(process.argv[3] ?? 2000);
const clientScript = fileURLToPath(new URL('../test/src/many-clients.mjs', import.meta.url));

const StreamController = routeController('stream', () => undefined, SseChannel('capped'));
const PingController = routeController('ping', () => ({ ok: true }), Get('ping'));
class CapModule {}
Module({ imports: [SseModule.forRoot({ heartbeat: 0, limits: { maxClients: streams } })], controllers: [StreamController, PingController] })(CapModule);

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function timed(port, path, expected) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ port, host: '127.0.0.1', path, agent, headers: { accept: 'text/event-stream' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== expected) {
          reject(new Error(`${path}: ${res.statusCode}, expected ${expected}`));
        } else {
          resolve(performance.now() - started);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))];

async function measure(platform) {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(CapModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const child = spawn(process.execPath, [clientScript, `http://127.0.0.1:${port}/capped`, String(streams)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const result = { refused: [], ping: [] };
  for await (const line of lines) {
    if (line.startsWith('open')) {
      const open = app.get(SseBroadcaster).totals().streams;
      if (open !== streams) {
        throw new Error(`${open} streams open, expected ${streams}`);
      }
      // Warm-up, then alternate batches so both see the same machine.
      for (let i = 0; i < 200; i++) {
        await timed(port, '/capped', 503);
        await timed(port, '/ping', 200);
      }
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < requests / 10; i++) {
          result.refused.push(await timed(port, '/capped', 503));
        }
        for (let i = 0; i < requests / 10; i++) {
          result.ping.push(await timed(port, '/ping', 200));
        }
      }
      await app.close();
    } else if (line.startsWith('ended')) {
      break;
    } else {
      throw new Error(`clients: ${line}`);
    }
  }
  return result;
}

for (const platform of ['express', 'fastify']) {
  const { refused, ping } = await measure(platform);
  const [r50, r99, p50, p99] = [quantile(refused, 0.5), quantile(refused, 0.99), quantile(ping, 0.5), quantile(ping, 0.99)];
  console.log(
    `${platform}: with ${streams} streams open, a stream request beyond limits.maxClients is refused in p50 ${r50.toFixed(3)} ms / p99 ${r99.toFixed(3)} ms; ` +
      `a plain JSON route: p50 ${p50.toFixed(3)} ms / p99 ${p99.toFixed(3)} ms (refusal / plain: ${(r50 / p50).toFixed(2)}× at p50)`,
  );
}
agent.destroy();
process.exit(0);
