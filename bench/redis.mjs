// A throwaway redis-server for the two-instance run: a free loopback port, a
// temporary directory, no persistence (the bench measures delivery, not disk).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function redisServerAvailable() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on the loopback address. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server; resolves with { url, stop() } once it accepts connections. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sse-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  let log = '';
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk;
      if (log.includes('Ready to accept connections')) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (log += chunk));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${log}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, stop };
}

/**
 * Starts a Redis Cluster of `masters` masters (no replicas: the bench measures
 * delivery, not failover) on free loopback ports; resolves with { url, stop() }
 * once every node reports cluster_state:ok. `url` is `cluster:<host:port>,…`,
 * what servers/sse-channel.mjs takes for RedisTransport's `cluster` option.
 */
export async function startRedisCluster(masters = 3) {
  const nodes = [];
  for (let i = 0; i < masters; i++) {
    let port;
    do port = await freePort();
    while (port + 10000 > 65535 || nodes.some((node) => node.port === port));
    const dir = mkdtempSync(join(tmpdir(), 'sse-bench-cluster-'));
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    nodes.push({ port, dir, child });
    await new Promise((resolve, reject) => {
      let log = '';
      child.stdout.on('data', (chunk) => {
        log += chunk;
        if (log.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${log}`)));
    });
  }
  const stop = () => {
    for (const { child, dir } of nodes) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.on('exit', stop);
  const addresses = nodes.map(({ port }) => `127.0.0.1:${port}`);
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
  for (const { port } of nodes) {
    for (let tries = 0; !spawnSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'); tries++) {
      if (tries > 200) throw new Error(`the bench cluster did not become ok (node ${port})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url: `cluster:${addresses.join(',')}`, stop };
}
