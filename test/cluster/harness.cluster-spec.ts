import { Cluster } from 'ioredis';
import { RedisCluster } from '../src/redis-cluster.js';
import { redisServerAvailable } from '../src/redis-server.js';

const hasRedis = redisServerAvailable();

/** The test harness itself: a 3-master, 3-replica Redis Cluster on loopback, and a failover. */
(hasRedis ? describe : describe.skip)('RedisCluster (test harness)', () => {
  let cluster: RedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    client = new Cluster(cluster.startupNodes);
  }, 60000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.destroy();
  });

  it('has three masters, each serving keys through the cluster client', async () => {
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    expect(cluster.startupNodes).toHaveLength(6);

    // Keys until one lands on each master: masterOf() of keys in different slots differs.
    const byMaster = new Map<number, string>();
    for (let i = 0; byMaster.size < 3 && i < 100; i++) {
      const key = `key-${i}`;
      const master = await cluster.masterOf(key);
      expect(masters).toContain(master);
      if (!byMaster.has(master)) {
        byMaster.set(master, key);
      }
    }
    expect([...byMaster.keys()].sort()).toEqual([...masters].sort());

    for (const [master, key] of byMaster) {
      await client.set(key, `on ${master}`);
    }
    for (const [master, key] of byMaster) {
      expect(await client.get(key)).toBe(`on ${master}`);
    }
  });

  it('a replica takes over a SIGKILLed master without losing a write its replica acknowledged', async () => {
    const old = await cluster.masterOf('a');
    // One pipeline goes to the node of its keys: WAIT answers for this SET.
    const replies = await client.pipeline().set('a', 'before').call('WAIT', '1', '5000').exec();
    expect(replies).toEqual([
      [null, 'OK'],
      [null, 1],
    ]);

    const promoted = await cluster.killMaster(old);
    expect(promoted).not.toBe(old);
    expect(await cluster.masterOf('a')).toBe(promoted);
    expect(await cluster.masters()).toHaveLength(3);

    expect(await client.get('a')).toBe('before');
    await client.set('a', 'after');
    expect(await client.get('a')).toBe('after');

    // The killed master comes back as a replica of the one that took over.
    await cluster.restart(old);
    expect(await cluster.masters()).not.toContain(old);
    expect(await cluster.masterOf('a')).toBe(promoted);
    expect(await client.get('a')).toBe('after');
  }, 60000);
});
