import { Logger } from '@nestjs/common';
import { createSampleApp } from './create-sample-app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const redisUrl = process.env.SSE_REDIS_URL || undefined;
const app = await createSampleApp({ tickMs: Number(process.env.TICK_MS ?? 1000), answerTokenMs: Number(process.env.TOKEN_MS ?? 120), redisUrl });
await app.listen(port, host);
new Logger('Sample').log(
  `Open http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${redisUrl ? ` (channels shared on ${redisUrl}; the page opens a stream per panel)` : ''}`,
);
