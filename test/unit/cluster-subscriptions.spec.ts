import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Logger } from '@nestjs/common';
import { channelTag } from '../../lib/transport/redis/channel-id.js';
import { keySlot } from '../../lib/transport/redis/cluster-slot.js';
import { ClusterSubscriptions } from '../../lib/transport/redis/cluster-subscriptions.js';
import { RedisKeys } from '../../lib/transport/redis/redis-keys.js';
import type { RedisClusterLike } from '../../lib/transport/redis/redis-transport-options.interface.js';
import { until } from '../src/until.js';

const SLOTS = 16384;
const HALF = SLOTS / 2;
const keys = new RedisKeys('sse:', true);
const topic = (channel: string) => keys.stream(channel);
const slotOf = (channel: string) => keySlot(topic(channel));

// Channels on either master of the fake cluster (slots 0–8191 on n1, 8192–16383 on n2).
const names = Array.from({ length: 5000 }, (_, i) => `room-${i}`);
const bySlot = new Map<number, string>();
let pair: [string, string] | undefined;
for (const name of names) {
  const slot = slotOf(name);
  const other = bySlot.get(slot);
  if (slot < HALF && other !== undefined && !pair) pair = [other, name];
  bySlot.set(slot, name);
}
/** Two channels whose topics share one slot (of n1). */
const [A, A2] = pair!;
/** A channel on n1, in another slot than A's. */
const B = names.find((name) => slotOf(name) < HALF && slotOf(name) !== slotOf(A))!;
/** A channel on n2. */
const C = names.find((name) => slotOf(name) >= HALF)!;
const CONTROL_NODE = keySlot(keys.control) < HALF ? 'n1:1' : 'n2:2';

type Answer = 'ok' | 'moved' | 'hold';

/** A subscription connection duplicated from a master's client. */
class FakeShard extends EventEmitter {
  status = 'connecting';
  /** The topics Redis has subscribed on this connection. */
  readonly topics = new Set<string>();
  private held: { resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly ssubscribe = jest.fn((...topics: string[]) => this.answer(topics));
  readonly sunsubscribe = jest.fn((...topics: string[]) => {
    for (const name of topics) this.topics.delete(name);
    return Promise.resolve(topics.length);
  });
  /** As ioredis: the connection ends, its commands fail, 'close' and 'end' follow. */
  readonly disconnect = jest.fn(() => {
    if (this.status === 'end') return;
    this.status = 'end';
    this.failHeld();
    setImmediate(() => {
      this.emit('close');
      this.emit('end');
    });
  });

  constructor(readonly node: FakeNode) {
    super();
    if (node.down) setImmediate(() => this.drop());
    else if (node.autoReady) setImmediate(() => this.ready());
  }

  ready(): void {
    if (this.status !== 'connecting') return;
    this.status = 'ready';
    this.emit('ready');
  }

  /** The connection is lost (retryStrategy null: ioredis ends it). */
  drop(): void {
    if (this.status === 'end') return;
    this.status = 'end';
    this.topics.clear();
    this.failHeld();
    this.emit('close');
    this.emit('end');
  }

  /** Answers the SSUBSCRIBEs held so far. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const { resolve } of held) resolve();
  }

  get holding(): number {
    return this.held.length;
  }

  private failHeld(): void {
    const held = this.held;
    this.held = [];
    for (const { reject } of held) reject(new Error('Connection is closed.'));
  }

  private answer(topics: string[]): Promise<unknown> {
    if (this.status !== 'ready') return Promise.reject(new Error('Connection is closed.'));
    const subscribed = () => {
      for (const name of topics) this.topics.add(name);
      return topics.length;
    };
    switch (this.node.answer) {
      case 'moved':
        // (ioredis emits 'moved' on a MOVED reply to SSUBSCRIBE, then rejects it.)
        return Promise.resolve().then(() => {
          this.emit('moved');
          throw new Error(`MOVED ${keySlot(topics[0])} 10.0.0.9:7000`);
        });
      case 'hold':
        return new Promise((resolve, reject) => this.held.push({ resolve: () => resolve(subscribed()), reject }));
      default:
        return Promise.resolve().then(subscribed);
    }
  }
}

/** ioredis's connection to one node of the cluster. */
class FakeNode {
  readonly options: { host: string; port: number };
  /** How its subscription connections answer SSUBSCRIBE. */
  answer: Answer = 'ok';
  /** Whether its subscription connections get ready by themselves (on the next turn). */
  autoReady = true;
  /** Unreachable: its subscription connections close before they are ready. */
  down = false;
  readonly shards: FakeShard[] = [];
  readonly duplicate = jest.fn((_options?: Record<string, unknown>) => {
    const shard = new FakeShard(this);
    this.shards.push(shard);
    return shard;
  });

  constructor(readonly name: string) {
    const [host, port] = name.split(':');
    this.options = { host, port: Number(port) };
  }

  /** The newest subscription connection. */
  get shard(): FakeShard {
    return this.shards[this.shards.length - 1];
  }

  /** The topics Redis has subscribed on any of its connections. */
  get topics(): Set<string> {
    return new Set(this.shards.flatMap((shard) => [...shard.topics]));
  }

  /** Every SSUBSCRIBE sent to it. */
  get ssubscribes(): string[][] {
    return this.shards.flatMap((shard) => shard.ssubscribe.mock.calls);
  }
}

class FakeCluster extends EventEmitter {
  status = 'ready';
  readonly isCluster = true;
  readonly slots: string[][] = Array.from({ length: SLOTS }, (_, slot) => (slot < HALF ? ['n1:1', 'r1:1'] : ['n2:2', 'r2:2']));
  readonly all = new Map(['n1:1', 'r1:1', 'n2:2', 'r2:2'].map((name) => [name, new FakeNode(name)]));
  readonly masters = new Set(['n1:1', 'n2:2']);
  readonly refreshSlotsCache = jest.fn();

  nodes(role?: string): FakeNode[] {
    expect(role).toBe('master');
    return [...this.masters].map((name) => this.node(name));
  }

  node(name: string): FakeNode {
    return this.all.get(name)!;
  }

  /** `to` (a replica) is promoted: it serves every slot `from` served. */
  failover(from: string, to: string): void {
    for (let slot = 0; slot < SLOTS; slot++) {
      if (this.slots[slot][0] === from) this.slots[slot] = [to];
    }
    this.masters.delete(from);
    this.masters.add(to);
  }
}

const logger = { log() {}, warn() {} } as unknown as Logger;
const flush = async (turns = 5) => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Whether `promise` has settled yet. */
const track = (promise: Promise<unknown>) => {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
};
/** Every SSUBSCRIBE names topics of one slot only. */
const expectOneSlotEach = (calls: string[][]) => {
  for (const call of calls) expect(new Set(call.map(keySlot)).size).toBe(1);
};

const running: ClusterSubscriptions[] = [];
afterEach(() => {
  for (const subscriptions of running.splice(0)) subscriptions.close();
});

function start(prepare?: (cluster: FakeCluster) => void) {
  const cluster = new FakeCluster();
  prepare?.(cluster);
  const host = { deliver: jest.fn(), control: jest.fn(), suspend: jest.fn(), resume: jest.fn(), presenceSwept: jest.fn() };
  const onError = jest.fn();
  const subscriptions = new ClusterSubscriptions(cluster as unknown as RedisClusterLike, keys, host, logger, onError);
  running.push(subscriptions);
  return { cluster, host, onError, subscriptions, n1: cluster.node('n1:1'), n2: cluster.node('n2:2') };
}

async function started(...channels: string[]) {
  const setup = start();
  await until(() => setup.subscriptions.state === 'ready', 'the control topic subscribed');
  for (const channel of channels) await setup.subscriptions.subscribe(channel);
  return setup;
}

describe('ClusterSubscriptions: sharded Pub/Sub, one connection per master', () => {
  it('picks channels on both masters, two of them in one slot', () => {
    expect(slotOf(A)).toBe(slotOf(A2));
    expect(slotOf(A)).toBeLessThan(HALF);
    expect(slotOf(B)).toBeLessThan(HALF);
    expect(slotOf(B)).not.toBe(slotOf(A));
    expect(slotOf(C)).toBeGreaterThanOrEqual(HALF);
  });

  it('starts by subscribing the control topic on the master of its slot: connecting, then ready', async () => {
    const { cluster, subscriptions, host, onError } = start((fake) => {
      for (const node of fake.all.values()) {
        node.autoReady = false;
        node.answer = 'hold';
      }
    });
    const control = cluster.node(CONTROL_NODE);
    expect(subscriptions.state).toBe('connecting');
    await flush();
    expect(control.duplicate).toHaveBeenCalledTimes(1);
    expect(control.duplicate).toHaveBeenCalledWith(expect.objectContaining({ autoResubscribe: false, retryStrategy: expect.any(Function) }));
    for (const node of cluster.all.values()) {
      if (node !== control) expect(node.duplicate).not.toHaveBeenCalled();
    }
    expect(subscriptions.shardStates).toEqual({ [CONTROL_NODE]: 'connecting' });
    expect(subscriptions.state).toBe('connecting');
    expect(control.shard.ssubscribe).not.toHaveBeenCalled(); // (not before the connection is ready)

    control.shard.ready();
    await flush();
    expect(control.shard.ssubscribe.mock.calls).toEqual([[keys.control]]);
    expect(subscriptions.state).toBe('connecting'); // (not confirmed yet)
    control.shard.release();
    await flush();
    expect(subscriptions.state).toBe('ready');
    expect(subscriptions.shardStates).toEqual({ [CONTROL_NODE]: 'ready' });
    expect(host.suspend).not.toHaveBeenCalled();
    expect(host.resume).not.toHaveBeenCalled();

    const error = new Error('boom');
    control.shard.emit('error', error);
    expect(onError).toHaveBeenCalledWith(error);
  });

  it("subscribes a channel on the master of its slot, on one connection per master, and resolves only once it is subscribed", async () => {
    const { subscriptions, n1, n2 } = await started();
    n1.answer = 'hold';
    n2.answer = 'hold';
    const a = track(subscriptions.subscribe(A));
    const c = track(subscriptions.subscribe(C));
    await until(() => n1.shard?.holding === 1 && n2.shard?.holding === 1, 'both SSUBSCRIBEs sent');
    expect(n1.shard.ssubscribe).toHaveBeenLastCalledWith(topic(A));
    expect(n2.shard.ssubscribe).toHaveBeenLastCalledWith(topic(C));
    await flush();
    expect(a.settled).toBe(false);
    expect(c.settled).toBe(false);
    expect(subscriptions.channels).toEqual(new Set([A, C]));

    n1.shard.release();
    await flush();
    expect(a.settled).toBe(true);
    expect(c.settled).toBe(false);
    n2.shard.release();
    await flush();
    expect(c.settled).toBe(true);

    n1.answer = 'ok';
    n2.answer = 'ok';
    await subscriptions.subscribe(B);
    await subscriptions.subscribe(A2);
    expect(n1.duplicate).toHaveBeenCalledTimes(1);
    expect(n2.duplicate).toHaveBeenCalledTimes(1);
    expect(n1.topics).toEqual(new Set([topic(A), topic(A2), topic(B), ...(CONTROL_NODE === 'n1:1' ? [keys.control] : [])]));
    expect(n2.topics).toEqual(new Set([topic(C), ...(CONTROL_NODE === 'n2:2' ? [keys.control] : [])]));
    expectOneSlotEach([...n1.ssubscribes, ...n2.ssubscribes]);
    expect(subscriptions.shardStates).toEqual({ 'n1:1': 'ready', 'n2:2': 'ready' });
    expect(subscriptions.state).toBe('ready');

    // Subscribed already: nothing sent.
    const sent = n1.ssubscribes.length;
    await subscriptions.subscribe(A);
    expect(n1.ssubscribes.length).toBe(sent);
  });

  it("is not ready while a new master's connection for a channel is still connecting", async () => {
    const { cluster, subscriptions } = await started();
    const other = cluster.node(CONTROL_NODE === 'n1:1' ? 'n2:2' : 'n1:1');
    other.autoReady = false;
    const subscribed = track(subscriptions.subscribe(CONTROL_NODE === 'n1:1' ? C : A));
    await flush();
    expect(subscriptions.shardStates).toEqual({ [CONTROL_NODE]: 'ready', [other.name]: 'connecting' });
    expect(subscriptions.state).not.toBe('ready');
    expect(subscribed.settled).toBe(false);
    other.shard.ready();
    await until(() => subscribed.settled, 'subscribed');
    expect(subscriptions.state).toBe('ready');
  });

  it('takes a subscribe() made while it is still starting into its first subscription', async () => {
    const { subscriptions, n1, host } = start();
    await subscriptions.subscribe(A);
    expect(n1.topics.has(topic(A))).toBe(true);
    expect(subscriptions.state).toBe('ready');
    expect(host.suspend).not.toHaveBeenCalled();
  });

  it("hands a channel's event to the host, a control message to control(), and ignores another prefix's topic", async () => {
    const { subscriptions, host, n1, n2, cluster } = await started(A, C);
    n1.shard.emit('smessage', topic(A), '1700000000000-0\nupdate\n\n5 ep1\nline 1\nline 2');
    expect(host.deliver).toHaveBeenCalledTimes(1);
    expect(host.deliver).toHaveBeenCalledWith(A, {
      id: `1700000000000-0.${channelTag(topic(A))}`,
      event: 'update',
      data: 'line 1\nline 2',
      audience: undefined,
      seq: 5,
      epoch: 'ep1',
    });
    n2.shard.emit('smessage', topic(C), '1700000000001-3\n\n{"to":["u1"]}\n6 ep1\n{}');
    expect(host.deliver).toHaveBeenLastCalledWith(C, {
      id: `1700000000001-3.${channelTag(topic(C))}`,
      event: undefined,
      data: '{}',
      audience: { to: ['u1'] },
      seq: 6,
      epoch: 'ep1',
    });

    cluster.node(CONTROL_NODE).shard.emit('smessage', keys.control, 'disconnect:u1');
    expect(host.control).toHaveBeenCalledWith('disconnect:u1');

    n1.shard.emit('smessage', 'other:{abcde}x', '1700000000000-0\nupdate\n\n5 ep1\nx');
    n1.shard.emit('smessage', `other:${keys.control}`, 'disconnect:u1');
    expect(host.deliver).toHaveBeenCalledTimes(2);
    expect(host.control).toHaveBeenCalledTimes(1);
    expect(subscriptions.channels.size).toBe(2);
  });
});

/** The channels each suspend() / resume() call named, all together and sorted: each channel once, or a duplicate shows. */
const named = (fn: { mock: { calls: unknown[][] } }) => fn.mock.calls.flatMap(([channels]) => channels as string[]).sort();

describe('ClusterSubscriptions: losing a subscription', () => {
  it('suspends the channels of each master that closes (each once; none of the others), resubscribes everything on the promoted replica, then resumes them', async () => {
    const { cluster, host, subscriptions, n1, n2 } = await started(A, A2, B, C);
    const [old1, old2] = [n1.shard, n2.shard];
    const sentBefore = [old1.ssubscribe.mock.calls.length, old2.ssubscribe.mock.calls.length];

    n1.down = true;
    old1.drop();
    expect(named(host.suspend)).toEqual([A, A2, B].sort());
    old2.drop();
    expect(named(host.suspend)).toEqual([A, A2, B, C].sort());
    expect(subscriptions.state).toBe('resubscribing');

    // n1 is unreachable: it keeps trying, and asks ioredis where the slots went.
    await until(() => cluster.refreshSlotsCache.mock.calls.length >= 1, 'refreshSlotsCache()');
    expect(host.resume).not.toHaveBeenCalled();
    expect(subscriptions.state).toBe('resubscribing');

    cluster.failover('n1:1', 'r1:1');
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    await flush();
    expect(named(host.suspend)).toEqual([A, A2, B, C].sort());
    expect(host.resume).toHaveBeenCalledTimes(1);
    expect(named(host.resume)).toEqual([A, A2, B, C].sort());
    expect(subscriptions.state).toBe('ready');
    expect(subscriptions.shardStates).toEqual({ 'r1:1': 'ready', 'n2:2': 'ready' });

    const r1 = cluster.node('r1:1');
    expect(r1.duplicate).toHaveBeenCalledTimes(1);
    const low = [topic(A), topic(A2), topic(B), ...(CONTROL_NODE === 'n1:1' ? [keys.control] : [])];
    const high = [topic(C), ...(CONTROL_NODE === 'n2:2' ? [keys.control] : [])];
    expect(r1.topics).toEqual(new Set(low));
    // One SSUBSCRIBE per slot: A and A2 together.
    expectOneSlotEach(r1.ssubscribes);
    expect(r1.ssubscribes.length).toBe(new Set(low.map(keySlot)).size);
    expect(n2.shard).not.toBe(old2);
    expect(n2.shard.topics).toEqual(new Set(high));

    // The dead connections are not used again.
    expect([old1.ssubscribe.mock.calls.length, old2.ssubscribe.mock.calls.length]).toEqual(sentBefore);
    for (const shard of n1.shards) expect(shard.status).toBe('end');

    // Events come in on the new connection.
    r1.shard.emit('smessage', topic(B), '1700000000000-1\n\n\n7 ep1\nback');
    expect(host.deliver).toHaveBeenCalledWith(B, expect.objectContaining({ data: 'back' }));
  });

  it("suspends on 'moved' (a slot migrated: Redis unsubscribed its topics), resubscribes on the new master, resumes", async () => {
    const { cluster, host, subscriptions, n1, n2 } = await started(A, B, C);
    cluster.slots[slotOf(A)] = ['n2:2'];
    n1.shard.topics.delete(topic(A));
    n1.shard.emit('moved');
    expect(host.suspend).toHaveBeenCalledTimes(1);
    expect(subscriptions.state).toBe('resubscribing');
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    expect(n2.topics.has(topic(A))).toBe(true);
    expect(n1.topics.has(topic(B))).toBe(true);
    expect(host.resume).toHaveBeenCalledTimes(1);
    expect(host.suspend).toHaveBeenCalledTimes(1);
    expect(subscriptions.state).toBe('ready');
    // The connections are still good: no new ones.
    expect(n1.duplicate).toHaveBeenCalledTimes(1);
    expect(n2.duplicate).toHaveBeenCalledTimes(1);
  });

  it("resubscribes when ioredis's new slot map moves a subscribed topic's slot, and does nothing when it moves none", async () => {
    const { cluster, host, n1, n2 } = await started(A, C);
    const taken = new Set([slotOf(A), slotOf(C), keySlot(keys.control)]);
    const unrelated = [...Array(SLOTS).keys()].find((slot) => !taken.has(slot))!;
    const sent = n1.ssubscribes.length + n2.ssubscribes.length;
    cluster.slots[unrelated] = [cluster.slots[unrelated][0] === 'n1:1' ? 'n2:2' : 'n1:1'];
    cluster.emit('refresh');
    await sleep(20);
    expect(host.suspend).not.toHaveBeenCalled();
    expect(n1.ssubscribes.length + n2.ssubscribes.length).toBe(sent);

    cluster.slots[slotOf(C)] = ['n1:1'];
    cluster.emit('refresh');
    expect(host.suspend).toHaveBeenCalledTimes(1);
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    expect(n1.topics.has(topic(C))).toBe(true);
    expect(host.resume).toHaveBeenCalledTimes(1);
  });

  it('retries a failing resubscription with a backoff and refreshSlotsCache(), resuming only once all of it succeeded', async () => {
    const { cluster, host, subscriptions, n2 } = await started(A, C);
    const refreshed: number[] = [];
    cluster.refreshSlotsCache.mockImplementation(() => void refreshed.push(Date.now()));
    n2.answer = 'moved';
    n2.shard.drop();
    expect(host.suspend).toHaveBeenCalledTimes(1);
    await until(() => refreshed.length >= 2, 'two failed attempts');
    expect(refreshed[1] - refreshed[0]).toBeGreaterThanOrEqual(45); // (the backoff starts at 50 ms)
    expect(host.resume).not.toHaveBeenCalled();
    expect(subscriptions.state).toBe('resubscribing');
    expect(n2.topics.has(topic(C))).toBe(false);

    n2.answer = 'ok';
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    expect(n2.topics.has(topic(C))).toBe(true);
    expect(host.resume).toHaveBeenCalledTimes(1);
    expect(host.suspend).toHaveBeenCalledTimes(1);
    expect(subscriptions.state).toBe('ready');
  });

  it('goes round again when another subscription is lost while it resubscribes: resumes only after that one', async () => {
    const { host, subscriptions, n1, n2 } = await started(A, C);
    n1.answer = 'hold';
    n1.shard.drop();
    await until(() => n1.shards.length === 2 && n1.shard.holding > 0, 'the resubscription on n1 sent');

    n2.answer = 'hold';
    const old2 = n2.shard;
    old2.drop();
    expect(named(host.suspend)).toEqual([A, C].sort());
    n1.answer = 'ok';
    n1.shard.release();
    await until(() => n2.shards.length === 2 && n2.shard.holding > 0, 'the resubscription on n2 sent');
    await flush();
    expect(host.resume).not.toHaveBeenCalled();
    expect(subscriptions.state).toBe('resubscribing');

    n2.shard.release();
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    await flush();
    expect(host.resume).toHaveBeenCalledTimes(1);
    expect(named(host.resume)).toEqual([A, C].sort());
    expect(named(host.suspend)).toEqual([A, C].sort());
    expect(n2.shard.topics.has(topic(C))).toBe(true);
    expect(n1.shard.topics.has(topic(A))).toBe(true);
    expect(subscriptions.state).toBe('ready');
  });

  it('does not suspend when the first connection fails with nothing subscribed, and never resumes without a suspend', async () => {
    const { cluster, host, subscriptions } = start((fake) => (fake.node(CONTROL_NODE).down = true));
    await until(() => cluster.refreshSlotsCache.mock.calls.length >= 1, 'a failed first attempt');
    expect(subscriptions.state).not.toBe('ready');
    expect(host.suspend).not.toHaveBeenCalled();

    cluster.node(CONTROL_NODE).down = false;
    await until(() => subscriptions.state === 'ready', 'ready');
    await flush();
    expect(host.suspend).not.toHaveBeenCalled();
    expect(host.resume).not.toHaveBeenCalled();

    // Losing the control topic alone suspends no channel (a control message missed meanwhile is not
    // replayed, on one server either): it is subscribed again, and nothing resumes.
    cluster.node(CONTROL_NODE).shard.drop();
    expect(subscriptions.state).toBe('resubscribing');
    await until(() => subscriptions.state === 'ready', 'ready again');
    expect(cluster.node(CONTROL_NODE).shard.topics.has(keys.control)).toBe(true);
    expect(host.suspend).not.toHaveBeenCalled();
    expect(host.resume).not.toHaveBeenCalled();
  });

  it('a master that closes suspends only its own channels: the others keep delivering meanwhile', async () => {
    const { host, subscriptions, n1, n2 } = await started(A, C);
    n1.answer = 'hold';
    n1.shard.drop();
    expect(named(host.suspend)).toEqual([A]);
    n2.shard.emit('smessage', topic(C), '1700000000000-0\nupdate\n\n5 ep1\nstill here');
    expect(host.deliver).toHaveBeenCalledWith(C, expect.objectContaining({ data: 'still here' }));
    await until(() => n1.shards.length === 2 && n1.shard.holding > 0, 'the resubscription on n1 sent');
    n1.answer = 'ok';
    n1.shard.release();
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    expect(named(host.resume)).toEqual([A]);
    expect(subscriptions.state).toBe('ready');
  });
});

describe('ClusterSubscriptions: unsubscribe and close', () => {
  it('sends SUNSUBSCRIBE on the connection the channel was subscribed on; a later loss does not subscribe it again', async () => {
    const { host, subscriptions, n1, n2 } = await started(A, B, C);
    const shard = n1.shard;
    subscriptions.unsubscribe(A);
    expect(shard.sunsubscribe.mock.calls).toEqual([[topic(A)]]);
    expect(n2.shard.sunsubscribe).not.toHaveBeenCalled();
    expect(subscriptions.channels).toEqual(new Set([B, C]));
    subscriptions.unsubscribe(A); // (not subscribed: nothing)
    subscriptions.unsubscribe('never-subscribed');
    expect(shard.sunsubscribe).toHaveBeenCalledTimes(1);

    shard.drop();
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    expect(n1.shard).not.toBe(shard);
    expect(n1.shard.ssubscribe.mock.calls.flat()).not.toContain(topic(A));
    expect(n1.shard.topics.has(topic(B))).toBe(true);
  });

  it("unsubscribe() while the channel's SSUBSCRIBE is in flight leaves it unsubscribed in Redis", async () => {
    const { subscriptions, n1 } = await started(B);
    n1.answer = 'hold';
    const subscribed = subscriptions.subscribe(A);
    await until(() => n1.shard.holding === 1, 'SSUBSCRIBE sent');
    subscriptions.unsubscribe(A);
    n1.shard.release();
    await subscribed;
    await flush();
    expect(subscriptions.channels.has(A)).toBe(false);
    expect(n1.shard.topics.has(topic(A))).toBe(false);
  });

  it('unsubscribe() during a resubscription leaves the channel unsubscribed in Redis', async () => {
    const { host, subscriptions, n1 } = await started(A, B);
    n1.answer = 'hold';
    n1.shard.drop();
    await until(() => n1.shards.length === 2 && n1.shard.holding > 0, 'the resubscription sent');
    subscriptions.unsubscribe(A);
    n1.answer = 'ok';
    n1.shard.release();
    await until(() => host.resume.mock.calls.length > 0, 'resume()');
    await flush();
    expect(n1.shard.topics.has(topic(B))).toBe(true);
    expect(n1.shard.topics.has(topic(A))).toBe(false);
  });

  it('close() disconnects every connection, settles a pending subscribe(), and neither suspends nor resumes after', async () => {
    const { cluster, host, subscriptions, n1, n2 } = await started(A, C);
    n1.answer = 'hold';
    const pending = track(subscriptions.subscribe(B));
    await until(() => n1.shard.holding === 1, 'SSUBSCRIBE sent');

    subscriptions.close();
    expect(n1.shard.disconnect).toHaveBeenCalledTimes(1);
    expect(n2.shard.disconnect).toHaveBeenCalledTimes(1);
    expect(subscriptions.state).toBe('closed');
    expect(subscriptions.shardStates).toEqual({});
    expect(subscriptions.channels.size).toBe(0);
    expect(cluster.listenerCount('refresh')).toBe(0);
    await until(() => pending.settled, 'the pending subscribe() settled');
    await sleep(120); // (past a retry's backoff)
    expect(host.suspend).not.toHaveBeenCalled();
    expect(host.resume).not.toHaveBeenCalled();
    expect(n1.duplicate).toHaveBeenCalledTimes(1);
    expect(n2.duplicate).toHaveBeenCalledTimes(1);
    for (const node of cluster.all.values()) for (const shard of node.shards) expect(shard.status).toBe('end');
  });

  it('close() during a resubscription: no resume, no new connection after it', async () => {
    const { cluster, host, subscriptions, n1 } = await started(A, C);
    n1.answer = 'hold';
    n1.shard.drop();
    await until(() => n1.shards.length === 2 && n1.shard.holding > 0, 'the resubscription sent');
    expect(host.suspend).toHaveBeenCalledTimes(1);
    const made = [...cluster.all.values()].map((node) => node.duplicate.mock.calls.length);

    subscriptions.close();
    await sleep(120);
    expect(host.resume).not.toHaveBeenCalled();
    expect(host.suspend).toHaveBeenCalledTimes(1);
    expect([...cluster.all.values()].map((node) => node.duplicate.mock.calls.length)).toEqual(made);
    for (const node of cluster.all.values()) for (const shard of node.shards) expect(shard.status).toBe('end');
  });

  it('close() while the cluster is not ready settles a pending subscribe()', async () => {
    const { subscriptions } = start((fake) => (fake.status = 'connecting'));
    const pending = track(subscriptions.subscribe(A));
    await flush();
    subscriptions.close();
    await sleep(120);
    expect(pending.settled).toBe(true);
  });

  it('close() while the cluster is not ready: no connection is opened when it gets ready later', async () => {
    const { cluster, subscriptions } = start((fake) => (fake.status = 'connecting'));
    await flush();
    subscriptions.close();
    cluster.status = 'ready';
    cluster.emit('ready');
    await flush();
    // (A connection opened then would stay open: nothing closes it any more.)
    for (const node of cluster.all.values()) for (const shard of node.shards) expect(shard.status).toBe('end');
  });
});
