// Run with test/src/hide-package.mjs preloaded (SSE_HIDE_PACKAGE=@modelcontextprotocol/sdk), on the built
// library: an app without the MCP SDK starts, its store works, and only resume() (which needs the SDK) says
// what to install. Prints one line per check.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SseMcpEventStore, SseModule } from '../../dist/index.js';

class AppModule {}
Module({ imports: [SseModule.forRoot({ heartbeat: 0 })] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.init();
console.log('started');
const store = app.get(SseMcpEventStore).forSession('session-1');
const id = await store.storeEvent('stream-1', { jsonrpc: '2.0', method: 'notifications/message', params: {} });
console.log(`stored ${(await store.getStreamIdForEventId(id)) === 'stream-1'}`);
try {
  await app.get(SseMcpEventStore).resume({ headers: {} }, {});
  console.log('resume: no error');
} catch (error) {
  console.log(`resume: ${error.message}`);
}
await app.close();
