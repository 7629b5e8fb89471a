import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

const BINARY = process.env.REDIS_SERVER_PATH ?? 'redis-server';
const CLI = process.env.REDIS_CLI_PATH ?? 'redis-cli';

/** Every slot of a Redis Cluster. */
const SLOTS = 16384;
/** How long start(), killMaster() and restart() wait for the cluster to settle. */
const SETTLE_TIMEOUT = 20000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free loopback port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 < 65536 && !taken.has(port) && !taken.has(port + 10000) && (await isFree(port + 10000))) {
      taken.add(port);
      taken.add(port + 10000);
      return port;
    }
  }
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** One `redis-cli` command against a node; its raw reply (errors come back as text too). */
async function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${error.message}${stderr ? `\n${stderr}` : ''}`));
      } else {
        resolve(stdout.trim());
      }
    });
  });
}

/** `field:value` lines (CLUSTER INFO, INFO) as a record. */
function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) {
      fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
  }
  return fields;
}

/** One line of CLUSTER NODES: one node as another node sees it. */
interface NodeView {
  id: string;
  port: number;
  flags: string[];
  /** The id of its master when it is a replica. */
  masterId: string | undefined;
  /** Slot ranges it serves, inclusive. */
  slots: [number, number][];
}

function parseNodes(port: number, text: string): NodeView[] {
  const views: NodeView[] = [];
  for (const line of text.split(/\r?\n/).filter((line) => line.trim() !== '')) {
    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...
    const [id, address, flags, master, , , , , ...slots] = line.trim().split(/\s+/);
    const nodePort = /:(\d+)@/.exec(address ?? '')?.[1];
    if (!id || !nodePort || !flags || !master) {
      throw new Error(`CLUSTER NODES on ${port}: unexpected line ${JSON.stringify(line)} in:\n${text}`);
    }
    views.push({
      id,
      port: Number(nodePort),
      flags: flags.split(','),
      masterId: master === '-' ? undefined : master,
      // `[slot->-id]` / `[slot-<-id]` are migrations in progress, not served slots.
      slots: slots
        .filter((slot) => !slot.startsWith('['))
        .map((slot) => {
          const [start, end] = slot.split('-').map(Number);
          return [start, end ?? start] as [number, number];
        }),
    });
  }
  return views;
}

/** The slot map as one node sees it: `start-end:port` of each range, in order. */
function slotMap(views: NodeView[]): string[] {
  return views
    .flatMap((view) => view.slots.map(([start, end]) => ({ start, end, port: view.port })))
    .sort((a, b) => a.start - b.start)
    .map(({ start, end, port }) => `${start}-${end}:${port}`);
}

/** One `redis-server --cluster-enabled yes` with its own temporary directory. */
export class ClusterNode {
  private process: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get alive(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** What the server wrote (every start of it). */
  get log(): string {
    return this.output;
  }

  /** Starts the server (again, with its data and nodes.conf) and waits until it accepts connections. */
  async start(): Promise<void> {
    const child = spawn(
      BINARY,
      [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        // A master that stops answering for 1 s is failed over (its replica takes over ~1–2 s later).
        '--cluster-node-timeout', '1000',
        '--appendonly', 'yes',
        '--save', '',
        '--protected-mode', 'yes',
        // A replica's full sync (at start, and a killed master's rejoin) through an RDB file. With 7.0's default
        // diskless sync, the master may hold back the write stream after the transfer until the replica's next
        // once-a-second REPLCONF ACK (when the first ACK arrives before the master has seen the transfer end): a
        // master killed in that window is failed over to a replica that has none of the writes since the sync.
        '--repl-diskless-sync', 'no',
        // The masters that are up keep serving their slots while one is failed over (the default, yes,
        // refuses every write with CLUSTERDOWN until all slots are covered again): what docs/redis.md advises.
        '--cluster-require-full-coverage', 'no',
        '--dir', this.dir,
      ],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    this.output += `--- start (port ${this.port}) ---\n`;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (this.output.includes('Ready to accept connections', this.output.lastIndexOf('--- start'))) {
          child.stdout!.off('data', onData);
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) =>
        reject(new Error(`redis-server on ${this.port} exited (${code}) before it was ready:\n${this.output}`));
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
      child.once('error', reject);
    });
  }

  /** SIGKILL: no goodbye to the cluster, no final write. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** The last `lines` lines of the log, for error messages. */
  tail(lines = 15): string {
    return `[${this.port}${this.alive ? '' : ', dead'}]\n${this.output.trimEnd().split('\n').slice(-lines).join('\n')}`;
  }
}

/**
 * A real Redis Cluster on loopback: 3 masters with one replica each, six
 * `redis-server` processes (append-only file on, cluster node timeout 1 s)
 * in temporary directories, created by `redis-cli --cluster create`.
 * `killMaster()` SIGKILLs a master and waits for its replica to take over;
 * `destroy()` kills every node and removes the directories.
 */
export class RedisCluster {
  private constructor(readonly nodes: readonly ClusterNode[]) {}

  /** For ioredis: `new Cluster(cluster.startupNodes)`. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  static async start(): Promise<RedisCluster> {
    const taken = new Set<number>();
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < 6; i++) {
      nodes.push(new ClusterNode(await freeClusterPort(taken), mkdtempSync(join(tmpdir(), 'sse-redis-cluster-'))));
    }
    const cluster = new RedisCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => node.start()));
      await new Promise<void>((resolve, reject) => {
        execFile(
          CLI,
          ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'],
          { timeout: 30000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`redis-cli --cluster create: ${error.message}\n${stdout}\n${stderr}`)) : resolve(),
        );
      });
      await cluster.settle('the new cluster', { replicated: true });
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** The port of the master that serves `key`'s slot now. */
  async masterOf(key: string): Promise<number> {
    const port = this.live()[0].port;
    const reply = await cli(port, 'CLUSTER', 'KEYSLOT', key);
    if (!/^\d+$/.test(reply)) {
      throw new Error(`CLUSTER KEYSLOT ${key} on ${port}: ${reply}`);
    }
    const slot = Number(reply);
    const views = parseNodes(port, await cli(port, 'CLUSTER', 'NODES'));
    const master = views.find((view) => view.slots.some(([start, end]) => start <= slot && slot <= end));
    if (!master) {
      throw new Error(`no master serves slot ${slot} (key ${key}) as ${port} sees it`);
    }
    return master.port;
  }

  /** The ports of the masters that serve slots now, in slot order. */
  async masters(): Promise<number[]> {
    const port = this.live()[0].port;
    const views = parseNodes(port, await cli(port, 'CLUSTER', 'NODES'));
    return [...new Set(slotMap(views).map((range) => Number(range.split(':')[1])))];
  }

  /**
   * SIGKILLs the master on `port`, waits until its replica has taken over its
   * slots and every live node reports the cluster ok with all slots on live
   * masters, and returns the new master's port.
   */
  async killMaster(port: number): Promise<number> {
    const node = this.node(port);
    const views = parseNodes(port, await cli(port, 'CLUSTER', 'NODES'));
    const me = views.find((view) => view.flags.includes('myself'))!;
    if (!me.flags.includes('master') || me.slots.length === 0) {
      throw new Error(`killMaster(${port}): ${port} is not a master that serves slots (${me.flags.join(',')})`);
    }
    const replicas = views.filter((view) => view.masterId === me.id && this.nodes.some((n) => n.port === view.port && n.alive));
    if (replicas.length === 0) {
      throw new Error(`killMaster(${port}): it has no live replica to take over`);
    }
    const [firstSlot] = me.slots[0];
    await node.kill();
    await this.settle(`a replica of ${port} to take over`);
    const live = this.live()[0].port;
    const owner = parseNodes(live, await cli(live, 'CLUSTER', 'NODES')).find((view) =>
      view.slots.some(([start, end]) => start <= firstSlot && firstSlot <= end),
    )!;
    if (!replicas.some((replica) => replica.port === owner.port)) {
      throw new Error(`killMaster(${port}): slot ${firstSlot} went to ${owner.port}, not to a replica of ${port}`);
    }
    return owner.port;
  }

  /**
   * Starts a killed node again with its data and nodes.conf; it rejoins (a
   * killed master as a replica of the node that took over). Waits until every
   * node sees it and its replication link is up.
   */
  async restart(port: number): Promise<void> {
    const node = this.node(port);
    if (node.alive) {
      throw new Error(`restart(${port}): it is running`);
    }
    await node.start();
    await this.settle(`${port} to rejoin`);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    for (const node of this.nodes) {
      rmSync(node.dir, { recursive: true, force: true });
    }
  }

  /** Every node's log tail, for error messages. */
  logs(lines = 15): string {
    return this.nodes.map((node) => node.tail(lines)).join('\n\n');
  }

  private node(port: number): ClusterNode {
    const node = this.nodes.find((node) => node.port === port);
    if (!node) {
      throw new Error(`no node on port ${port} (nodes: ${this.nodes.map((node) => node.port).join(', ')})`);
    }
    return node;
  }

  private live(): ClusterNode[] {
    const live = this.nodes.filter((node) => node.alive);
    if (live.length === 0) {
      throw new Error('no node of the cluster is running');
    }
    return live;
  }

  /**
   * Waits until the cluster is settled, or fails with the reason and the
   * logs: every live node says cluster_state:ok and knows every node; all of
   * them have the same slot map, covering all slots with live masters; every
   * dead node is flagged `fail` and no live one is flagged at all; every live
   * replica's link to its master is up and its master counts it online. With
   * `replicated`, every master has a live replica too.
   */
  private async settle(what: string, { replicated = false } = {}): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT;
    for (;;) {
      let reason: string;
      try {
        reason = await this.unsettled(replicated);
      } catch (error) {
        reason = (error as Error).message;
      }
      if (!reason) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${SETTLE_TIMEOUT} ms waiting for ${what}: ${reason}\n\n${this.logs()}`);
      }
      await sleep(50);
    }
  }

  /** Why the cluster is not settled yet ('' when it is). */
  private async unsettled(replicated: boolean): Promise<string> {
    const live = this.live();
    const livePorts = new Set(live.map((node) => node.port));
    let agreed: string | undefined;
    for (const node of live) {
      const info = parseInfo(await cli(node.port, 'CLUSTER', 'INFO'));
      if (info.cluster_state !== 'ok') {
        return `${node.port} says cluster_state:${info.cluster_state}`;
      }
      const views = parseNodes(node.port, await cli(node.port, 'CLUSTER', 'NODES'));
      if (views.length !== this.nodes.length) {
        return `${node.port} knows ${views.length} of ${this.nodes.length} nodes`;
      }
      for (const view of views) {
        const flagged = view.flags.filter((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag));
        if (livePorts.has(view.port) ? flagged.length > 0 : !view.flags.includes('fail')) {
          return `${node.port} sees ${view.port} as ${view.flags.join(',')}`;
        }
      }
      const map = slotMap(views);
      const covered = map.reduce((sum, range) => {
        const [start, end] = range.split(':')[0].split('-').map(Number);
        return sum + end - start + 1;
      }, 0);
      if (covered !== SLOTS) {
        return `${node.port} sees ${covered} of ${SLOTS} slots served`;
      }
      const dead = map.find((range) => !livePorts.has(Number(range.split(':')[1])));
      if (dead) {
        return `${node.port} sees slots ${dead} on a dead node`;
      }
      if (agreed === undefined) {
        agreed = map.join(' ');
      } else if (agreed !== map.join(' ')) {
        return `${live[0].port} and ${node.port} disagree on the slot map (${agreed} / ${map.join(' ')})`;
      }
      const me = views.find((view) => view.flags.includes('myself'))!;
      if (me.masterId) {
        const replication = parseInfo(await cli(node.port, 'INFO', 'replication'));
        if (replication.master_link_status !== 'up') {
          return `${node.port}'s link to its master is ${replication.master_link_status}`;
        }
      } else if (me.slots.length > 0) {
        const replicas = views.filter((view) => view.masterId === me.id && livePorts.has(view.port));
        if (replicated && replicas.length === 0) {
          return `master ${node.port} has no replica yet`;
        }
        const replication = parseInfo(await cli(node.port, 'INFO', 'replication'));
        const online = Object.entries(replication).filter(([key, value]) => /^slave\d+$/.test(key) && value.includes('state=online'));
        if (online.length !== replicas.length) {
          return `master ${node.port} has ${online.length} replicas online, ${replicas.length} known`;
        }
      }
    }
    return '';
  }
}
