// Stress, issue 24 §4: more idle streams than one process can hold here (its
// open-file limit: 20 000 on the CI machine), on the Redis guide's cluster
// example (docs/examples/workers/, compiled and run as written) with two
// workers on one port. The clients are spread over three processes (each well
// under the limit), on three loopback source addresses (each its own range of
// ephemeral ports). Counts only: no timing is asserted.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import {
  RoomStream,
  WorkersApp,
  askWorker,
  buildWorkersExample,
  freePort,
  hardFileLimit,
  isAlive,
  sayOn,
  spawnWithFileLimit,
  within,
} from '../src/workers-app.js';

const PER_WORKER = 12_000;
const STREAMS = 2 * PER_WORKER;
const CLIENT_PROCESSES = 3;
const ROOM = 'stress';

interface Reply {
  cmd: string;
  [key: string]: unknown;
}

/** Sends `message` to a client process and resolves with its reply `reply`. */
function call<T extends Reply>(child: ChildProcess, message: Reply, reply: string, timeout = 120_000): Promise<T> {
  const answer = new Promise<T>((resolve, reject) => {
    const onMessage = (m: Reply) => {
      if (m.cmd !== reply) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`a client process exited (${code}) while waiting for ${reply}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  child.send(message);
  return within(answer, timeout, `the client processes' ${reply}`);
}

const hasRedis = redisServerAvailable();

(hasRedis ? describe : describe.skip)(`every core: ${STREAMS} idle streams on 2 workers of one port (docs/examples/workers on Redis)`, () => {
  let dir: string;
  let redis: RedisServer;
  let app: WorkersApp;
  let a: number;
  let b: number;
  const clients: ChildProcess[] = [];

  /** The sum over the client processes of a `count` reply for event `id`. */
  const countOf = async (id: string) => {
    const replies = await Promise.all(clients.map((child) => call<Reply & { streams: number; duplicates: number; open: number }>(child, { cmd: 'count', id }, 'count')));
    return {
      streams: replies.reduce((sum, r) => sum + r.streams, 0),
      duplicates: replies.reduce((sum, r) => sum + r.duplicates, 0),
      open: replies.reduce((sum, r) => sum + r.open, 0),
    };
  };
  /** Waits until every stream has received event `id` (or `timeout` ms pass); returns the last count. */
  const reachAll = async (id: string, timeout = 60_000) => {
    const start = Date.now();
    let count = await countOf(id);
    while (count.streams < STREAMS && Date.now() - start < timeout) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      count = await countOf(id);
    }
    return count;
  };

  beforeAll(async () => {
    const limit = hardFileLimit();
    if (limit < PER_WORKER + 1000) {
      throw new Error(`this test needs a hard open-file limit (ulimit -Hn) of at least ${PER_WORKER + 1000} per process; it is ${limit} here`);
    }
    console.log(`[workers] one process may hold at most ${limit} open files here; ${STREAMS} streams over 2 workers`);
    dir = buildWorkersExample('workers-stress-build');
    redis = await RedisServer.start();
    app = await WorkersApp.start(dir, { PORT: await freePort(), REDIS_URL: redis.url, WORKERS: 2 });
    [a, b] = app.listening();
    for (let i = 0; i < CLIENT_PROCESSES; i++) {
      const count = Math.floor(STREAMS / CLIENT_PROCESSES) + (i < STREAMS % CLIENT_PROCESSES ? 1 : 0);
      const child = spawnWithFileLimit(join(import.meta.dirname, '..', 'src', 'workers-clients.mjs'), [String(app.port), `/rooms/${ROOM}`, String(count), `127.0.0.${2 + i}`], {
        ipc: true,
      });
      child.stdout!.pipe(process.stdout);
      child.stderr!.pipe(process.stderr);
      clients.push(child);
    }
    await Promise.all(clients.map((child) => within(new Promise<void>((resolve) => child.once('message', () => resolve())), 30_000, 'a client process to start')));
  }, 120_000);

  afterAll(async () => {
    for (const child of clients) child.kill('SIGKILL');
    WorkersApp.killAll();
    await redis?.destroy();
    if (dir) rmSync(dirname(dir), { recursive: true, force: true });
  });

  it(`opens ${STREAMS} streams through one port, held by both workers`, async () => {
    const started = performance.now();
    const replies = await Promise.all(clients.map((child) => call<Reply & { opened: number; failed: number; statuses: object }>(child, { cmd: 'open' }, 'opened')));
    const opened = replies.reduce((sum, r) => sum + r.opened, 0);
    console.log(`[workers] ${opened} streams opened in ${((performance.now() - started) / 1000).toFixed(1)} s; failures: ${JSON.stringify(replies.map((r) => r.statuses))}`);
    expect(replies.map((r) => r.failed)).toEqual(replies.map(() => 0));
    expect(opened).toBe(STREAMS);
    const held = [(await askWorker(app.port, a)).streams, (await askWorker(app.port, b)).streams];
    console.log(`[workers] worker ${a} holds ${held[0]} streams, worker ${b} holds ${held[1]}`);
    expect(held[0] + held[1]).toBe(STREAMS);
    expect(held[0]).toBeGreaterThan(0);
    expect(held[1]).toBeGreaterThan(0);
  }, 180_000);

  it(`one publish on one worker reaches every one of the ${STREAMS} streams, once`, async () => {
    const id = await sayOn(app.port, a, ROOM, 'to everyone');
    expect(await reachAll(id)).toEqual({ streams: STREAMS, duplicates: 0, open: STREAMS });
  }, 120_000);

  it('among them, a client cut on one worker resumes on the other with exactly what it missed', async () => {
    const first = await RoomStream.open(app.port, a, ROOM);
    const seen = await sayOn(app.port, b, ROOM, 'before the cut');
    expect(await first.waitForEvents(1, 60_000)).toEqual([{ event: 'chat', id: seen, text: 'before the cut' }]);
    first.cut();
    const missed = [await sayOn(app.port, a, ROOM, 'missed 1'), await sayOn(app.port, b, ROOM, 'missed 2')];
    const back = await RoomStream.open(app.port, b, ROOM, seen);
    try {
      await back.waitForEvents(2, 60_000);
      const live = await sayOn(app.port, a, ROOM, 'live');
      expect(await back.waitForEvents(3, 60_000)).toEqual([
        { event: 'chat', id: missed[0], text: 'missed 1' },
        { event: 'chat', id: missed[1], text: 'missed 2' },
        { event: 'chat', id: live, text: 'live' },
      ]);
      // The idle streams got every one of them too, once each.
      for (const id of [seen, ...missed, live]) {
        expect(await reachAll(id)).toEqual({ streams: STREAMS, duplicates: 0, open: STREAMS });
      }
    } finally {
      back.cut();
    }
  }, 180_000);

  it(`SIGTERM: both workers close their apps, all ${STREAMS} streams end cleanly, and the primary exits 0`, async () => {
    const started = performance.now();
    app.child.kill('SIGTERM');
    expect(await within(app.exited, 120_000, 'the primary to exit')).toEqual({ code: 0, signal: null });
    const ends = await Promise.all(clients.map((child) => call<Reply & { ended: number; aborted: number; open: number }>(child, { cmd: 'ends' }, 'ends')));
    console.log(`[workers] shut down in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect({
      ended: ends.reduce((sum, r) => sum + r.ended, 0),
      aborted: ends.reduce((sum, r) => sum + r.aborted, 0),
      open: ends.reduce((sum, r) => sum + r.open, 0),
    }).toEqual({ ended: STREAMS, aborted: 0, open: 0 });
    expect([a, b].filter(isAlive)).toEqual([]);
  }, 180_000);
});
