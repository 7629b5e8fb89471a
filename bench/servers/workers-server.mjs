// Our library on every core (issue 24 §4): a node:cluster primary and N
// workers on one port, each worker an app instance on Redis (RedisTransport),
// as docs/examples/workers/ runs it. The primary speaks bench/run.mjs's
// protocol (servers/protocol.mjs) for the whole: 'publish' is relayed to the
// first worker (one publisher, as the two-instance run of bench/run.mjs),
// 'clients' and 'memory' are summed over the workers ('clients' also says
// how many each holds); 'cpu' answers each worker's CPU time so far (µs).
//   node workers-server.mjs express|fastify <redis url> <workers> <port> <key prefix>
import 'reflect-metadata';
import cluster from 'node:cluster';
import { call } from '../ipc.mjs';

const [platform, redisUrl, workersText, portText, keyPrefix] = process.argv.slice(2);
const port = Number(portText);

if (cluster.isPrimary) {
  const workers = Array.from({ length: Number(workersText) }, () => cluster.fork());
  await Promise.all(workers.map((worker) => call(worker, undefined, 'ready')));
  process.on('message', async (message) => {
    if (message.cmd === 'publish') {
      process.send(await call(workers[0], message, 'published'));
    } else if (message.cmd === 'clients') {
      const perWorker = (await Promise.all(workers.map((worker) => call(worker, message, 'clients')))).map((reply) => reply.clients);
      process.send({ cmd: 'clients', clients: perWorker.reduce((sum, n) => sum + n, 0), perWorker });
    } else if (message.cmd === 'cpu') {
      const replies = await Promise.all(workers.map((worker) => call(worker, message, 'cpu')));
      process.send({ cmd: 'cpu', perWorker: replies.map((reply) => reply.micros) });
    } else if (message.cmd === 'memory') {
      const replies = await Promise.all(workers.map((worker) => call(worker, message, 'memory')));
      process.send({ cmd: 'memory', rss: process.memoryUsage().rss + replies.reduce((sum, reply) => sum + reply.rss, 0) });
    }
  });
  // The workers end with the primary (their IPC channel closes).
  process.on('SIGTERM', () => process.exit(0));
  process.send({ cmd: 'ready', port });
} else {
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const { RedisTransport, SseBroadcaster, SseChannel, SseModule } = await import('nestjs-sse-channel');
  const { routeController } = await import('./controller.mjs');
  const { serve } = await import('./protocol.mjs');

  // As servers/sse-channel.mjs on Redis: history in the Stream (1 000 events), no
  // heartbeat, no slow-client bound (the load client reads as fast as it can).
  const FeedController = routeController('feed', () => undefined, SseChannel('feed'));
  class AppModule {}
  Module({
    imports: [
      SseModule.forRoot({
        heartbeat: 0,
        history: { size: 1000 },
        limits: { maxQueuedBytes: 0 },
        transport: new RedisTransport({ connection: redisUrl, keyPrefix }),
      }),
    ],
    controllers: [FeedController],
  })(AppModule);
  const app = await NestFactory.create(AppModule, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
  await app.listen(port, '127.0.0.1');
  const broadcaster = app.get(SseBroadcaster);
  serve(port, (data) => broadcaster.publish('feed', data), () => broadcaster.clientCount('feed'));
  // { cmd: 'cpu' } → { micros }: the CPU time this worker has used (user + system, µs).
  process.on('message', (message) => {
    if (message.cmd !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.send({ cmd: 'cpu', micros: user + system });
  });
}
