import { dirname } from 'node:path';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';
import {
  RoomStream,
  WorkersApp,
  askAnyWorker,
  askWorker,
  buildWorkersExample,
  freePort,
  isAlive,
  sayOn,
  within,
} from '../src/workers-app.js';

const hasRedis = redisServerAvailable();

// The Redis guide's "Every core of one machine" (docs/examples/workers/), run
// as written: compiled by tsc, `node main.js` with WORKERS=2 — a primary and
// two workers on one port, sharing the channels through one real redis-server.
(hasRedis ? describe : describe.skip)('every core of one machine: node:cluster workers on Redis (docs/examples/workers)', () => {
  let dir: string;
  let redis: RedisServer;
  let app: WorkersApp;
  let a: number;
  let b: number;

  beforeAll(async () => {
    dir = buildWorkersExample('workers-build');
    redis = await RedisServer.start();
    app = await WorkersApp.start(dir, { PORT: await freePort(), REDIS_URL: redis.url, WORKERS: 2 });
    [a, b] = app.listening();
  }, 60_000);
  afterAll(async () => {
    WorkersApp.killAll();
    await redis?.destroy();
    if (dir) rmSync(dirname(dir), { recursive: true, force: true });
  });

  it('two workers listen on the one port, and new connections go to both in turn', async () => {
    expect(new Set([a, b]).size).toBe(2);
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push((await askAnyWorker(app.port)).pid);
    expect(new Set(seen)).toEqual(new Set([a, b]));
  });

  it('streams land on both workers; a POST on one worker reaches the streams on both, with the id it answered', async () => {
    const onA = await RoomStream.open(app.port, a, '1');
    const onB = await RoomStream.open(app.port, b, '1');
    try {
      expect((await askWorker(app.port, a)).streams).toBe(1);
      expect((await askWorker(app.port, b)).streams).toBe(1);
      const fromA = await sayOn(app.port, a, '1', 'from A');
      const fromB = await sayOn(app.port, b, '1', 'from B');
      for (const stream of [onA, onB]) {
        expect(await stream.waitForEvents(2)).toEqual([
          { event: 'chat', id: fromA, text: 'from A' },
          { event: 'chat', id: fromB, text: 'from B' },
        ]);
      }
    } finally {
      onA.cut();
      onB.cut();
    }
  });

  it('a client cut on one worker resumes with its Last-Event-ID on the other: exactly what it missed, then live', async () => {
    const first = await RoomStream.open(app.port, a, '2');
    const seen = await sayOn(app.port, b, '2', 'one');
    expect(await first.waitForEvents(1)).toEqual([{ event: 'chat', id: seen, text: 'one' }]);
    first.cut();
    await until(() => first.end !== undefined, 'the cut');
    const missed = [await sayOn(app.port, a, '2', 'two'), await sayOn(app.port, b, '2', 'three')];
    // On B, which has had no client of rooms/2: what it missed is read from Redis.
    const back = await RoomStream.open(app.port, b, '2', seen);
    try {
      expect(await back.waitForEvents(2)).toEqual([
        { event: 'chat', id: missed[0], text: 'two' },
        { event: 'chat', id: missed[1], text: 'three' },
      ]);
      const live = await sayOn(app.port, a, '2', 'four');
      expect(await back.waitForEvents(3)).toEqual([
        { event: 'chat', id: missed[0], text: 'two' },
        { event: 'chat', id: missed[1], text: 'three' },
        { event: 'chat', id: live, text: 'four' },
      ]);
    } finally {
      back.cut();
    }
  });

  it('a worker that dies is replaced; its client resumes on the other worker, and the new worker serves streams', async () => {
    const onA = await RoomStream.open(app.port, a, '3');
    const seen = await sayOn(app.port, b, '3', 'before');
    await onA.waitForEvents(1);
    process.kill(a, 'SIGKILL');
    await until(() => onA.end !== undefined, 'the stream of the killed worker to break');
    await app.waitFor((output) => app.listening(output).length === 3, 'a third worker', 30_000);
    expect(app.output).toContain(`Worker ${a} died (SIGKILL); starting another`);
    const c = app.listening()[2];
    expect(isAlive(a)).toBe(false);
    const missed = await sayOn(app.port, b, '3', 'while away');
    const back = await RoomStream.open(app.port, b, '3', seen);
    const onC = await RoomStream.open(app.port, c, '3');
    try {
      await back.waitForEvents(1);
      const live = await sayOn(app.port, c, '3', 'live');
      expect(await back.waitForEvents(2)).toEqual([
        { event: 'chat', id: missed, text: 'while away' },
        { event: 'chat', id: live, text: 'live' },
      ]);
      expect(await onC.waitForEvents(1)).toEqual([{ event: 'chat', id: live, text: 'live' }]);
    } finally {
      back.cut();
      onC.cut();
    }
    a = c;
  }, 60_000);

  it('SIGTERM to the primary: every worker closes its app (its streams end cleanly), then the primary exits 0', async () => {
    const streams = [await RoomStream.open(app.port, a, '4'), await RoomStream.open(app.port, b, '4')];
    const before = app.output.length;
    app.child.kill('SIGTERM');
    expect(await within(app.exited, 30_000, 'the primary to exit')).toEqual({ code: 0, signal: null });
    expect(streams.map((stream) => stream.end)).toEqual(['end', 'end']);
    expect([a, b].filter(isAlive)).toEqual([]);
    // No worker was started again while shutting down.
    expect(app.output.slice(before)).not.toMatch(/starting another|listening on/);
  }, 60_000);

  it('a worker that cannot start (its port taken) stops the primary with exit code 1, not a restart loop', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const failing = await WorkersApp.start(dir, { PORT: port, REDIS_URL: redis.url, WORKERS: 2 }, 0);
      try {
        expect((await within(failing.exited, 30_000, 'the primary to give up')).code).toBe(1);
        expect(failing.listening()).toEqual([]);
        expect(failing.output.match(/failed to start/g)).toHaveLength(1);
        expect(failing.output).not.toContain('starting another');
      } finally {
        failing.kill();
      }
    } finally {
      taken.close();
    }
  }, 60_000);
});
