// One MCP server for bench/mcp.mjs (forked): node:http, the SDK's Streamable HTTP transport per
// session, and the event store named by argv[2] — `none`, `sdk` (the SDK's in-memory example
// store), `channels` (SseMcpEventStore in memory) or `redis` (SseMcpEventStore on RedisTransport,
// URL in argv[3]). Replies { cmd: 'ready', port } once listening.
import 'reflect-metadata';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { z } from 'zod';
import { RedisTransport, SseMcpEventStore, SseModule } from '../../dist/index.js';

const [kind, redisUrl] = process.argv.slice(2);

let storeFor = () => undefined;
if (kind === 'sdk') {
  const shared = new InMemoryEventStore();
  storeFor = () => shared;
} else if (kind === 'channels' || kind === 'redis') {
  class AppModule {}
  const transport = kind === 'redis' ? new RedisTransport({ connection: redisUrl }) : undefined;
  Module({ imports: [SseModule.forRoot({ heartbeat: 0, transport })] })(AppModule);
  const context = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const events = context.get(SseMcpEventStore);
  storeFor = (sessionId) => events.forSession(sessionId);
}

function mcpServer() {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('count', { inputSchema: { steps: z.number().int() } }, async ({ steps }, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let step = 1; step <= steps; step++) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: step, total: steps } });
    }
    return { content: [{ type: 'text', text: `counted ${steps}` }] };
  });
  return server;
}

const sessions = new Map();
const http = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
  const sessionId = req.headers['mcp-session-id'];
  let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
  if (!transport && sessionId === undefined && req.method === 'POST') {
    const id = randomUUID();
    transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, eventStore: storeFor(id), onsessioninitialized: () => sessions.set(id, transport) });
    transport.onclose = () => sessions.delete(id);
    await mcpServer().connect(transport);
  }
  if (!transport) {
    res.writeHead(404).end();
    return;
  }
  await transport.handleRequest(req, res, body);
});
http.listen(0, '127.0.0.1', () => process.send({ cmd: 'ready', port: http.address().port }));
