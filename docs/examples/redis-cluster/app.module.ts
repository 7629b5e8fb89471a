import { Module } from '@nestjs/common';
import { RedisTransport, SseModule } from 'nestjs-sse-channel';
import { RoomsController } from '../redis/rooms.controller.js';

/** Some of the cluster's nodes, e.g. REDIS_CLUSTER_NODES=10.0.0.1:6379,10.0.0.2:6379 (ioredis finds the others). */
const clusterNodes = () =>
  (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7000').split(',').map((address) => {
    const [host, port] = address.split(':');
    return { host, port: Number(port) };
  });

@Module({
  imports: [
    SseModule.forRootAsync({
      useFactory: () => ({
        // Also possible: { client: new Cluster(nodes, options) } with your own ioredis Cluster.
        transport: new RedisTransport({
          cluster: { nodes: clusterNodes(), options: { redisOptions: { password: process.env.REDIS_PASSWORD } } },
        }),
      }),
    }),
  ],
  controllers: [RoomsController],
})
export class AppModule {}
