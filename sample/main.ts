import { Logger } from '@nestjs/common';
import { createSampleApp } from './create-sample-app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
if (process.env.SSE_REDIS_URL) {
  new Logger('Sample').warn('SSE_REDIS_URL is set, but the Redis transport is not part of this version yet: using the in-memory one.');
}
const app = await createSampleApp({ tickMs: Number(process.env.TICK_MS ?? 1000) });
await app.listen(port, host);
new Logger('Sample').log(`Open http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`);
