/**
 * The part of an `ioredis` client the transport uses. (Declared here so that
 * the library's types do not need `ioredis` installed.)
 *
 * @publicApi
 */
export interface RedisClientLike {
  readonly status: string;
  readonly options?: { keyPrefix?: string; host?: string; port?: number };
  /** `true` on an ioredis `Cluster`. */
  readonly isCluster?: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(command: string, ...args: any[]): Promise<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  duplicate(override?: Record<string, any>): RedisClientLike;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  pipeline(): RedisPipelineLike;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  ssubscribe?(...channels: string[]): Promise<unknown>;
  sunsubscribe?(...channels: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * The part of an `ioredis` `Cluster` the transport uses (it is also a
 * {@link RedisClientLike}).
 *
 * @publicApi
 */
export interface RedisClusterLike extends RedisClientLike {
  readonly isCluster: true;
  /** Each slot's nodes (`host:port`), the master first. */
  readonly slots: string[][];
  nodes(role?: 'all' | 'master' | 'slave'): RedisClientLike[];
  refreshSlotsCache?(): void;
}

/**
 * Where a Redis Cluster is, for `RedisTransport` to connect to it itself.
 *
 * @publicApi
 */
export interface RedisClusterConnection {
  /** Some of the cluster's nodes (ioredis finds the others): `{ host, port }` objects or `redis://` URLs. */
  nodes: ({ host: string; port: number } | string)[];
  /** ioredis `ClusterOptions` (e.g. `redisOptions: { password }`). */
  options?: Record<string, unknown>;
}

/**
 * The part of an `ioredis` pipeline the transport uses.
 *
 * @publicApi
 */
export interface RedisPipelineLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(command: string, ...args: any[]): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * Options of {@link RedisTransport}: an `ioredis` client, or what to connect
 * to.
 *
 * @publicApi
 */
export interface RedisTransportOptions {
  /**
   * An `ioredis` client (v5 or v6) for commands — a `Redis`, or a `Cluster`
   * for Redis Cluster; the transport makes its subscription connections from
   * it (`duplicate()`; on a cluster, one per master). You keep ownership: the
   * transport does not close it. Give one of `client`, `connection` and
   * `cluster`.
   */
  client?: RedisClientLike;
  /**
   * A `redis://` URL or `ioredis` options; the transport opens (and on
   * shutdown closes) two connections: one for commands, one for
   * subscriptions. Needs the `ioredis` package installed.
   */
  connection?: string | Record<string, unknown>;
  /**
   * A Redis Cluster to connect to (`{ nodes, options }`): the transport opens
   * (and on shutdown closes) an ioredis `Cluster` for commands and one
   * subscription connection per master. Needs the `ioredis` package
   * installed. Channels spread over the shards by their hash tags; live
   * events use sharded Pub/Sub (Redis 7+). See docs/redis.md.
   */
  cluster?: RedisClusterConnection;
  /**
   * Prefix of the Redis keys (one Stream per channel) and Pub/Sub channels
   * the transport uses. Give each application its own prefix when several
   * share one Redis.
   * @default 'sse:'
   */
  keyPrefix?: string;
  /**
   * Presence: how long, in ms, an instance's lease lasts. An instance that
   * dies without shutting down (or shuts down) keeps its identities on their
   * channels until its lease has run out and another instance has swept them:
   * within `presenceLease` × 4/3. With `history.ttl`, also what the Stream of
   * a channel an instance is subscribed to has on top of the ttl: its expiry
   * is kept at `history.ttl` + `presenceLease` (renewed every
   * `presenceLease` / 3), so a crashed instance's Streams expire at most that
   * long after it died.
   * @default 15000
   */
  presenceLease?: number;
}
