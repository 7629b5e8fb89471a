import type { Logger } from '@nestjs/common';
import type { SseTransportHost } from '../../interfaces/sse-transport.interface.js';
import { groupBy } from '../../util/group-by.js';
import { keySlot } from './cluster-slot.js';
import { handOver } from './event-message.js';
import { unsubscribeAll, type HistoryExpiry } from './history-expiry.js';
import type { RedisKeys } from './redis-keys.js';
import { whenReady } from './when-ready.js';
import type { RedisClientLike, RedisClusterLike } from './redis-transport-options.interface.js';

/** Waits between attempts to subscribe again, in ms (the last one repeats). */
const RETRY_MS = [50, 100, 250, 500, 1000, 2000];
/** Where a topic is subscribed. */
type Subscribed = { readonly node: string; readonly slot: number };

/**
 * The transport's subscriptions on a Redis Cluster, with sharded Pub/Sub:
 * one connection per master that serves a channel this instance has
 * clients on (and the control topic), each channel SSUBSCRIBEd on the
 * master of its slot, so each message crosses only its own shard.
 *
 * Losing one — a master's connection closes, its slot moves (failover,
 * resharding) — suspends that master's channels on the host (the others go
 * on); once every topic is subscribed on the right master again, they resume
 * (each reads what it missed from its Stream). It tries again, with a short
 * backoff, until it is so or the transport closes.
 */
export class ClusterSubscriptions {
  /** Channels this instance is subscribed to. */
  readonly channels = new Set<string>();
  readonly controlTopic: string;
  /** Each master's subscription connection, by node. */
  private readonly shards = new Map<string, RedisClientLike>();
  private readonly subscribed = new Map<string, Subscribed>();
  /** Bumped on every loss: a resubscription that saw one meanwhile goes again. */
  private generation = 0;
  private syncing: Promise<void> | undefined;
  private lost = false;
  /** Channels the host was told to suspend (and is to resume): those of the masters lost. */
  private readonly suspended = new Set<string>();
  private wasReady = false;
  private closed = false;
  private onClosed!: () => void;
  /** Settles on close(): nothing waits for the cluster after it. */
  private readonly closing = new Promise<void>((resolve) => (this.onClosed = resolve));

  constructor(
    private readonly cluster: RedisClusterLike,
    private readonly keys: RedisKeys,
    private readonly host: SseTransportHost,
    private readonly logger: Logger,
    private readonly onError: (error: Error) => void,
    private readonly expiry?: HistoryExpiry,
  ) {
    this.controlTopic = keys.control;
    expiry?.start(this.channels);
    cluster.on('refresh', this.onRefresh);
    this.syncing = this.sync();
  }

  /** `ready` once every topic is subscribed on its master; `resubscribing` after a loss; `connecting` before. */
  get state(): string {
    if (this.closed || !this.wasReady) return this.closed ? 'closed' : 'connecting';
    return !this.lost && [...this.shards.values()].every((client) => client.status === 'ready') ? 'ready' : 'resubscribing';
  }

  /** Each master's subscription connection state, by node (`host:port`). */
  get shardStates(): Record<string, string> {
    return Object.fromEntries([...this.shards].map(([node, client]) => [node, client.status]));
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    const topic = this.keys.stream(channel);
    while (!this.closed && this.channels.has(channel) && !this.subscribed.has(topic)) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      try {
        await this.subscribeOn(this.nodeOf(topic), [topic]);
      } catch {
        this.lose([]); // (nothing to suspend: the channel is not live yet)
      }
    }
    if (this.channels.has(channel) && !this.closed) {
      this.expiry?.watched([channel]);
    }
  }

  unsubscribe(channel: string): void {
    if (!this.channels.delete(channel)) {
      return;
    }
    const topic = this.keys.stream(channel);
    const at = this.subscribed.get(topic);
    this.subscribed.delete(topic);
    const client = at && this.shards.get(at.node);
    const unsubscribed = client?.status === 'ready' && client.sunsubscribe ? client.sunsubscribe(topic) : Promise.resolve();
    unsubscribed.catch(() => undefined);
    this.expiry?.unwatched(channel, unsubscribed);
  }

  /** Unsubscribes from every channel and waits, at most `ms`, for Redis to have heard of it. */
  unsubscribeAll(ms: number): Promise<void> {
    return unsubscribeAll(this, this.expiry, ms);
  }

  close(): void {
    this.closed = true;
    this.onClosed();
    this.expiry?.stop();
    this.channels.clear();
    this.subscribed.clear();
    this.cluster.removeListener('refresh', this.onRefresh);
    for (const node of [...this.shards.keys()]) {
      this.drop(node);
    }
  }

  /** The master that serves `topic`'s slot now, as ioredis knows it. */
  private nodeOf(topic: string): string {
    const node = this.cluster.slots[keySlot(topic)]?.[0];
    if (!node) {
      throw new Error(`no master serves the slot of ${topic}`);
    }
    return node;
  }

  /** SSUBSCRIBEs `topics` on `node`'s connection: one command per slot (Redis takes no more), sent together. */
  private async subscribeOn(node: string, topics: string[]): Promise<void> {
    const client = this.shard(node);
    await whenReady(client);
    const bySlot = groupBy(topics, keySlot);
    await Promise.all([...bySlot.values()].map((same) => client.ssubscribe!(...same)));
    if (this.shards.get(node) !== client) {
      return;
    }
    for (const [slot, same] of bySlot) {
      for (const topic of same) {
        // A channel left while its SSUBSCRIBE was on its way: left now (unsubscribe() had nothing to undo then).
        if (topic !== this.controlTopic && !this.channels.has(this.keys.channelOf(topic)!)) {
          client.sunsubscribe!(topic).catch(() => undefined);
        } else {
          this.subscribed.set(topic, { node, slot });
        }
      }
    }
  }

  /** The subscription connection to `node`, made from ioredis's connection to it (its options, credentials included). */
  private shard(node: string): RedisClientLike {
    const existing = this.shards.get(node);
    if (existing) {
      return existing;
    }
    const master = this.cluster.nodes('master').find((redis) => `${redis.options?.host}:${redis.options?.port}` === node);
    if (!master) {
      throw new Error(`ioredis has no connection to ${node} yet`);
    }
    const client = master.duplicate({ autoResubscribe: false, retryStrategy: () => null, lazyConnect: false, readOnly: false });
    client.on('smessage', this.onMessage);
    client.on('error', this.onError);
    const gone = () => {
      if (this.shards.get(node) === client) this.lose(this.topicsOf(node));
    };
    client.on('close', gone);
    client.on('moved', gone);
    this.shards.set(node, client);
    return client;
  }

  private drop(node: string): void {
    const client = this.shards.get(node);
    this.shards.delete(node);
    for (const [topic, at] of this.subscribed) {
      if (at.node === node) this.subscribed.delete(topic);
    }
    client?.disconnect();
  }

  /** The channels' topics subscribed on `node`, or that it serves as far as ioredis knows. */
  private topicsOf(node: string): string[] {
    return [...this.channels]
      .map((channel) => this.keys.stream(channel))
      .filter((topic) => this.subscribed.get(topic)?.node === node || this.cluster.slots[keySlot(topic)]?.[0] === node);
  }

  /** `topics` are no longer subscribed: their channels are suspended (each once), and every topic is subscribed again. */
  private readonly lose = (topics: readonly string[]): void => {
    if (this.closed) return;
    this.generation++;
    const newly = topics.flatMap((topic) => this.keys.channelOf(topic) ?? []).filter((channel) => this.channels.has(channel) && !this.suspended.has(channel));
    if (newly.length > 0) {
      newly.forEach((channel) => this.suspended.add(channel));
      this.logger.warn(`Lost a Redis Cluster subscription: ${newly.length} channel(s) wait for it to come back; the others go on. Clients stay connected.`);
      this.host.suspend(newly);
    }
    this.lost = true;
    this.syncing ??= this.sync();
  };

  /** Subscribes every topic on the master of its slot, until done (or closed). */
  private async sync(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      const generation = this.generation;
      try {
        await Promise.race([whenReady(this.cluster), this.closing]);
        if (this.closed) break;
        const wanted = groupBy([this.controlTopic, ...[...this.channels].map((channel) => this.keys.stream(channel))], (topic) => this.nodeOf(topic));
        for (const [node, client] of [...this.shards]) {
          if (!wanted.has(node) || client.status === 'end' || client.status === 'close') this.drop(node);
        }
        this.subscribed.clear();
        await Promise.all([...wanted].map(([node, topics]) => this.subscribeOn(node, topics)));
        if (generation !== this.generation || this.closed) continue;
        this.syncing = undefined;
        this.lost = false;
        this.wasReady = true;
        if (this.suspended.size > 0) {
          const resumed = [...this.suspended].filter((channel) => this.channels.has(channel));
          this.suspended.clear();
          this.logger.log(`Redis Cluster: resubscribed on ${this.shards.size} master(s); ${resumed.length} channel(s) read what they missed.`);
          this.expiry?.watched(resumed);
          this.host.resume(resumed);
        }
        return;
      } catch {
        if (this.closed) break;
        this.cluster.refreshSlotsCache?.(); // (a master moved: ioredis learns where)
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]).unref());
      }
    }
    this.syncing = undefined;
  }

  /** ioredis read the slot map again: a topic whose slot another master serves now was unsubscribed (or soon is). */
  private readonly onRefresh = (): void => {
    if (this.syncing) return;
    const moved = [...this.subscribed].filter(([, at]) => this.cluster.slots[at.slot]?.[0] !== at.node).map(([topic]) => topic);
    if (moved.length > 0) this.lose(moved);
  };

  /** An event on a channel's shard topic, or a control message. */
  private readonly onMessage = (topic: string, message: string): void => handOver(this.host, this.keys, topic, message);
}
