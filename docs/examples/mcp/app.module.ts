import { Module } from '@nestjs/common';
import { RedisTransport, SseModule } from 'nestjs-sse-channel';
import { McpController } from './mcp.controller.js';

@Module({
  imports: [
    SseModule.forRootAsync({
      useFactory: () => ({
        // One instance: leave the transport out. Several behind a balancer: share the streams on Redis.
        transport: process.env.REDIS_URL ? new RedisTransport({ connection: process.env.REDIS_URL }) : undefined,
        // MCP streams are channels mcp/<tag>: keep enough of each for a client to resume a long tool call.
        channels: { 'mcp/:stream': { size: 500 } },
        history: { ttl: 5 * 60_000 },
      }),
    }),
  ],
  controllers: [McpController],
})
export class AppModule {}
