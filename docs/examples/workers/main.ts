import 'reflect-metadata';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

if (cluster.isPrimary) {
  // The primary serves no request: it starts the workers, hands each new connection to one of
  // them, and starts another when one dies.
  const count = Number(process.env.WORKERS) || availableParallelism();
  let shuttingDown = false;
  const listening = new Set<number>();
  const shutDown = (signal: NodeJS.Signals) => {
    shuttingDown = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };

  cluster.on('listening', (worker) => listening.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    if (!listening.has(worker.id)) {
      // It failed at start-up (the port taken, a bad option): another would fail the same way.
      console.error(`Worker ${worker.process.pid} failed to start (${signal ?? `exit code ${code}`}); stopping`);
      process.exitCode = 1;
      shutDown('SIGTERM');
      return;
    }
    console.error(`Worker ${worker.process.pid} died (${signal ?? `exit code ${code}`}); starting another`);
    cluster.fork();
  });
  // A deploy's SIGTERM or Ctrl-C: each worker closes its app (its streams end cleanly, and each
  // client reconnects with its last id), then the primary exits, with no worker left.
  process.on('SIGTERM', shutDown);
  process.on('SIGINT', shutDown);

  for (let i = 0; i < count; i++) cluster.fork();
} else {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  // Every worker listens on the same port: the primary holds it and shares the connections out.
  await app.listen(process.env.PORT ?? 3000);
  console.log(`Worker ${process.pid} listening on ${await app.getUrl()}`);
}
