// The Redis guide's cluster example (docs/examples/workers/) as users run it:
// compiled by the repo's tsc without the `paths` mapping, into a folder inside
// the repository so that the compiled files import `nestjs-sse-channel` by the
// package's self-reference (its exports: dist/), then `node main.js` — a
// primary and its workers on one port. Helpers to reach a given worker over
// HTTP: a keep-alive connection asks GET /worker first, and is used for the
// next request only if the wanted worker holds it (a cluster hands out
// connections, not requests).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';

export const root = join(import.meta.dirname, '..', '..');

/**
 * Compiles docs/examples/workers/*.ts (and the Redis example's controller it
 * imports) into docs/.check/<name>-<pid>/ (git-ignored; one per run, so that
 * runs at the same time do not share it); returns the folder of main.js in it
 * (remove its parent when done).
 */
export function buildWorkersExample(prefix: string): string {
  const check = join(root, 'docs', '.check');
  const name = `${prefix}-${process.pid}`;
  const outDir = join(check, name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(check, { recursive: true });
  const tsconfig = join(check, `${name}.tsconfig.json`);
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        strict: true,
        types: ['node'],
        rootDir: '../examples',
        outDir: name,
      },
      include: ['../examples/workers/*.ts', '../examples/redis/rooms.controller.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--pretty', 'false'], { encoding: 'utf8' });
  if (tsc.status !== 0) {
    throw new Error(`tsc failed on docs/examples/workers:\n${tsc.stdout}${tsc.stderr}`);
  }
  rmSync(tsconfig);
  return join(outDir, 'workers');
}

export { freePort } from './redis-server.js';

/**
 * Runs `node <script>` with the soft open-file limit raised to the hard one
 * (a process holding thousands of sockets needs it where the soft limit is low).
 */
export function spawnWithFileLimit(script: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; ipc?: boolean }): ChildProcess {
  return spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', process.execPath, script, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
  });
}

/** The hard limit on open files of a process started here. */
export function hardFileLimit(): number {
  return Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
}

/** Rejects with `what` if `promise` has not settled within `ms` (so that a test's cleanup runs). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const running = new Set<WorkersApp>();

/** `node main.js` of the compiled example: the primary, its output, and its exit. */
export class WorkersApp {
  /** Kills every primary started here and still running, and its workers (for afterAll). */
  static killAll(): void {
    for (const app of running) app.kill();
  }

  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    running.add(this);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
  }

  /** Starts the primary; resolves once `workers` workers say they listen (or rejects if it exits first). */
  static async start(dir: string, env: { PORT: number; REDIS_URL: string; WORKERS: number }, workers = env.WORKERS): Promise<WorkersApp> {
    const child = spawnWithFileLimit(join(dir, 'main.js'), [], {
      cwd: dir,
      env: { ...process.env, PORT: String(env.PORT), REDIS_URL: env.REDIS_URL, WORKERS: String(env.WORKERS), NO_COLOR: '1' },
    });
    const app = new WorkersApp(child, env.PORT);
    try {
      await app.waitFor((output) => app.listening(output).length >= workers, `${workers} workers listening`, 60_000);
    } catch (error) {
      app.kill();
      throw error;
    }
    return app;
  }

  /** The pids of the workers that said they listen, in order. */
  listening(output = this.output): number[] {
    return [...output.matchAll(/^Worker (\d+) listening on /gm)].map((match) => Number(match[1]));
  }

  /** Waits until the output satisfies `predicate`; rejects if the primary exits first. */
  async waitFor(predicate: (output: string) => boolean, what: string, timeout = 20_000): Promise<void> {
    const start = Date.now();
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!predicate(this.output)) {
      if (exited) throw new Error(`the primary exited while waiting for ${what}:\n${this.output}`);
      if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the primary and its workers (SIGKILL) if a test left them running; workers end with their primary. */
  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const pid of this.listening()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.child.kill('SIGKILL');
  }
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface WorkerInfo {
  pid: number;
  streams: number;
}

function send(
  port: number,
  agent: Agent | false,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ request: ClientRequest; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (response) => resolve({ request: req, response }));
    req.on('error', reject);
    req.end(body);
  });
}

async function text(response: IncomingMessage): Promise<string> {
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response) body += chunk;
  return body;
}

/** GET /worker on a new connection: whichever worker gets it. */
export async function askAnyWorker(port: number, agent: Agent | false = false): Promise<WorkerInfo> {
  const { response } = await send(port, agent, 'GET', '/worker');
  return JSON.parse(await text(response)) as WorkerInfo;
}

/**
 * A keep-alive connection held by worker `pid` (new connections until one
 * lands there): every request made with the returned agent goes to it.
 */
export async function connectionTo(port: number, pid: number): Promise<{ agent: Agent; info: WorkerInfo }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const info = await askAnyWorker(port, agent);
    if (info.pid === pid) return { agent, info };
    agent.destroy();
  }
  throw new Error(`no connection reached worker ${pid} in 50 attempts`);
}

/** GET /worker of the worker `pid`: its own figures. */
export async function askWorker(port: number, pid: number): Promise<WorkerInfo> {
  const { agent, info } = await connectionTo(port, pid);
  agent.destroy();
  return info;
}

/** Whether `request` went out on a connection used before (the one that asked GET /worker). */
const reused = (req: ClientRequest) => (req as ClientRequest & { reusedSocket: boolean }).reusedSocket;

/** POST /rooms/<room> {"text"} on worker `pid`; resolves with the event id it answered. */
export async function sayOn(port: number, pid: number, room: string, text_: string): Promise<string> {
  const { agent } = await connectionTo(port, pid);
  try {
    const { request: req, response } = await send(port, agent, 'POST', `/rooms/${room}`, { 'content-type': 'application/json' }, JSON.stringify({ text: text_ }));
    const body = await text(response);
    if (response.statusCode !== 201) throw new Error(`POST /rooms/${room} answered ${response.statusCode}: ${body}`);
    if (!reused(req)) throw new Error('the POST did not go out on the connection that asked GET /worker');
    return (JSON.parse(body) as { id: string }).id;
  } finally {
    agent.destroy();
  }
}

export interface ChatEvent {
  event: string;
  id: string | undefined;
  text: string;
}

/** An SSE stream of GET /rooms/<room> held by a known worker. */
export class RoomStream {
  readonly events: ChatEvent[] = [];
  /** 'end': the server ended the response; 'aborted': the connection broke first. */
  end: 'end' | 'aborted' | undefined;

  private constructor(
    readonly pid: number,
    private readonly agent: Agent,
    private readonly req: ClientRequest,
    response: IncomingMessage,
  ) {
    const parser = createParser({
      onEvent: (message) => this.events.push({ event: message.event ?? 'message', id: message.id, text: (JSON.parse(message.data) as { text: string }).text }),
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => parser.feed(chunk));
    response.on('end', () => (this.end ??= 'end'));
    response.on('aborted', () => (this.end ??= 'aborted'));
    response.on('error', () => (this.end ??= 'aborted'));
    req.on('error', () => (this.end ??= 'aborted'));
  }

  /** Opens the stream on worker `pid`, with `Last-Event-ID` if given; resolves once it has its headers. */
  static async open(port: number, pid: number, room: string, lastEventId?: string): Promise<RoomStream> {
    const { agent } = await connectionTo(port, pid);
    const { request: req, response } = await send(port, agent, 'GET', `/rooms/${room}`, {
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    });
    if (response.statusCode !== 200) throw new Error(`GET /rooms/${room} answered ${response.statusCode}`);
    if (!reused(req)) throw new Error('the stream did not go out on the connection that asked GET /worker');
    return new RoomStream(pid, agent, req, response);
  }

  /** Waits until `count` events have arrived; returns them all. */
  async waitForEvents(count: number, timeout = 10_000): Promise<ChatEvent[]> {
    const start = Date.now();
    while (this.events.length < count) {
      if (this.end) throw new Error(`the stream ended (${this.end}) after ${this.events.length} of ${count} events`);
      if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${count} events (got ${this.events.length})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.events;
  }

  /** Cuts the connection, as a network drop would. */
  cut(): void {
    this.req.destroy();
    this.agent.destroy();
  }
}
