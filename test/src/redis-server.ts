import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.REDIS_SERVER_PATH ?? 'redis-server';

/**
 * Whether Debian's `redis-server` is here. Without it the Redis suites say so
 * loudly and skip; under CI they fail instead.
 */
export function redisServerAvailable(): boolean {
  const found = spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found) {
    const message = `redis-server not found (${BINARY}): the Redis transport suite needs Debian's "redis-server" package (apt-get install -y redis-server).`;
    if (process.env.CI) {
      throw new Error(`${message} In CI it must run.`);
    }
    console.warn(`\n*** SKIPPED: ${message} ***\n`);
  }
  return found;
}

/** A free TCP port on the loopback address. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real `redis-server` on a free loopback port with its own temporary
 * directory (append-only file on, so its data survives a restart), stopped
 * and removed by `destroy()`.
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'sse-redis-')));
    await server.resume();
    return server;
  }

  /** Starts the server (again, with the same data). */
  async resume(): Promise<void> {
    const child = spawn(
      BINARY,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    this.log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString();
        if (this.log.includes('Ready to accept connections')) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${this.log}`)));
    });
    child.stdout!.resume();
  }

  /** Stops the server (SIGTERM: it writes its data and exits). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) {
      return;
    }
    child.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Restarts the server without its data (a restart without persistence, or a failover that lost every write). */
  async restartEmpty(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    await this.resume();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
