import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from '../../docs/examples/mcp/app.module.js';
import { countdown } from '../../docs/examples/mcp/client.js';
import { Balancer } from '../src/balancer.js';
import { McpBalancer } from '../src/mcp-balancer.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

const urlOf = async (app: INestApplication) => (await app.getUrl()).replace('[::1]', '127.0.0.1');

/** The guide's client counts down from 6 through `url`; the connection is cut after step 2; every step and the result arrive once. */
async function expectEveryStepOnce(url: string, cut: () => void): Promise<void> {
  const steps: number[] = [];
  const text = await countdown(url, 6, (step) => {
    steps.push(step);
    if (step === 2) cut();
  });
  expect(text).toBe('liftoff after 6');
  expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
}

// The MCP guide's server (docs/examples/mcp/) and client, as a user runs them: one instance,
// then two on Redis behind a balancer. Each time the network drops mid-call.
describe('the MCP guide: a countdown whose connection drops mid-call', () => {
  it('one instance: the client resumes, and gets every step and the result once', async () => {
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const proxy = await Balancer.start([Number(new URL(await urlOf(app)).port)]);
    try {
      await expectEveryStepOnce(`${proxy.url}/mcp`, () => proxy.cut());
    } finally {
      await proxy.close();
      await app.close();
    }
  }, 30_000);

  (redisServerAvailable() ? it : it.skip)(
    'two instances on Redis behind a balancer that sends the resume to the other one: every step and the result once',
    async () => {
      const redis = await RedisServer.start();
      process.env.REDIS_URL = redis.url;
      const a = await NestFactory.create(AppModule, { logger: false });
      const b = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
      delete process.env.REDIS_URL;
      await Promise.all([a.listen(0, '127.0.0.1'), b.listen(0, '127.0.0.1')]);
      const balancer = await McpBalancer.start([await urlOf(a), await urlOf(b)]);
      try {
        await expectEveryStepOnce(`${balancer.url}/mcp`, () => balancer.cut());
        // The session was made on one instance; the resume was answered by the other.
        const resumes = balancer.log.filter((line) => line.endsWith(' resume'));
        const created = balancer.log[0].split(' ')[1];
        expect(resumes).toHaveLength(1);
        expect(resumes[0]).not.toContain(created);
      } finally {
        await balancer.close();
        await Promise.all([a.close(), b.close()]);
        await redis.destroy();
      }
    },
    30_000,
  );
});
