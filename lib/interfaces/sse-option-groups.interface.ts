/**
 * `SseModule.forRoot({ history })`: what each channel keeps for clients that
 * come back (`Last-Event-ID`), and for how long.
 *
 * @publicApi
 */
export interface SseHistoryOptions {
  /**
   * Events each channel keeps for `Last-Event-ID` replay; 0 turns history off.
   * (Was the module option `history` as a number.)
   * @default 1000
   */
  size?: number;
  /**
   * Upper bound of the size of a channel's history: the oldest events go
   * first once it is passed. Measured in UTF-16 code units of the frames' text
   * (bytes for ASCII text; up to 3 bytes each on the wire otherwise).
   * (Was `historyBytes`.)
   * @default 4194304 (4 MiB)
   */
  bytes?: number;
  /**
   * How long, in ms, a channel without clients keeps its history for clients
   * that come back; then the history is gone, and a client reconnecting with
   * an id from it gets the reset event. Bounds the memory of many
   * short-lived channels (`users/:id`, `rooms/:id`). 0 keeps history for good.
   *
   * Counted from when the channel's last client left (or from when it was
   * created — with `RedisTransport`, first published to — if it never had
   * one); publishes do not renew it; a client joining stops it. With
   * `RedisTransport` a channel has clients while any instance has one on it,
   * and its Stream expires `ttl` after the last one left; while watched, its
   * expiry is kept at `ttl` + `presenceLease` by the instances subscribed to
   * it, so a crashed instance's channels expire at most `ttl` +
   * `presenceLease` after it died.
   * (Was `historyTtl`.)
   * @default 600000 (10 minutes)
   */
  ttl?: number;
  /**
   * Bound on the history of all channels of this instance together, in the
   * measure of `bytes`: once it is passed, the oldest events go first, from
   * channels without clients before channels with clients. Keeps memory
   * bounded when events go to many channels (`users/:id` while most users are
   * offline). 0: no global bound (each channel is still bounded by `size`,
   * `bytes` and `ttl`). (Was `totalHistoryBytes`.)
   * @default 67108864 (64 MiB)
   */
  totalBytes?: number;
  /**
   * How long, in ms, an ended channel is remembered after it is dropped, so
   * that a client reconnecting with the end event's id gets `204 No Content`
   * (and `EventSource` stops) instead of waiting on a channel that is over.
   * (Was `endedTtl`.)
   * @default 86400000 (24 hours)
   */
  endedTtl?: number;
}

/**
 * `SseModule.forRoot({ limits })`: caps that keep one instance and its
 * clients within bounds.
 *
 * @publicApi
 */
export interface SseLimitsOptions {
  /**
   * Cap on the open streams of this instance, channel and per-client routes
   * together. A stream request beyond it gets `503 Service Unavailable` with a
   * `Retry-After` header and a JSON body, before any SSE header; open streams
   * are not disturbed. Set it (below the process's file-descriptor limit): one
   * client could otherwise open streams until the process runs out of them.
   * 0: no cap. (Was `maxClients`.)
   * @default 0
   */
  maxClients?: number;
  /**
   * The slow-client bound: a client whose unsent bytes stay above it for
   * longer than `slowClientTimeout` is dropped (it can reconnect and resume
   * from history). A client that keeps reading is never dropped, whatever the
   * size of an event or of a burst; one that stops reading is dropped at once
   * when what it left unread from earlier turns of the event loop passes
   * `2 × maxQueuedBytes` plus its largest single write. 0 turns the bound off.
   * Routes may override it. (Was `maxQueuedBytes`.)
   * @default 1048576 (1 MiB)
   */
  maxQueuedBytes?: number;
  /**
   * How long, in ms, a client's unsent bytes may stay above `maxQueuedBytes`
   * before it is dropped as slow. Checked by one shared timer.
   * (Was `slowClientTimeout`.)
   * @default 1000
   */
  slowClientTimeout?: number;
  /**
   * How long, in ms, a per-client Observable route waits for the
   * Observable's first value (or its completion, or its error) before it
   * sends its status line and headers — so that an error that comes first is
   * a normal HTTP error (a 404 stays a 404, as with Nest's `@Sse()`), while a
   * stream whose first event is far off still opens. 0 sends the headers at
   * once. Channel routes always send them at once. Routes may override it.
   * (Was `maxHeaderDelay`.)
   * @default 1000
   */
  firstValueTimeout?: number;
}

/**
 * `SseModule.forRoot({ identities })`: who a stream belongs to, and what
 * follows from it.
 *
 * @publicApi
 */
export interface SseIdentityOptions {
  /**
   * Who a stream belongs to: called when a stream opens, after the guards (so
   * `request.user` set by a guard is there), with what `@Req()` gives on the
   * platform. `undefined`: an anonymous stream. Identities are what
   * `disconnect()`, `maxClientsPerIdentity`, `to`/`except` and presence use.
   * Routes may override it. (Was `identify`.)
   * @default undefined (every stream is anonymous)
   */
  identify?: (request: any) => string | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * When the stream's credential expires (e.g. a JWT's `exp` × 1000), as a
   * `Date` or ms since the epoch: then the stream gets the `events.accessEnd`
   * event with `{"reason":"expired"}` and its response ends (the client's
   * reconnect goes through the guards again). Already past when the stream
   * opens: `401`. One timer for every stream. Routes may override it.
   * (Was `expiresAt`.)
   * @default undefined (streams do not expire)
   */
  expiresAt?: (request: any) => Date | number | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * Cap on the open streams of one identity on this instance (all routes);
   * beyond it `429 Too Many Requests` with `Retry-After` and a JSON body.
   * Routes may set their own cap on their streams. 0: no cap.
   * (Was `maxClientsPerIdentity`.)
   * @default 0
   */
  maxClientsPerIdentity?: number;
  /**
   * How long, in ms, an identity's `sse-leave` waits for it to come back (a
   * tab reload is not a leave) on a channel with presence.
   * (Was `presenceLeaveDelay`.)
   * @default 3000
   */
  presenceLeaveDelay?: number;
}

/**
 * `SseModule.forRoot({ events })`: the names of the events the library
 * itself sends. Published events may not use the name of `end`.
 *
 * @publicApi
 */
export interface SseEventNames {
  /**
   * Sent to a client whose `Last-Event-ID` cannot be resumed (older than the
   * history, or unknown): a signal to reload its state. (Was `resetEvent`.)
   * @default 'sse-reset'
   */
  reset?: string;
  /**
   * Ends a channel (`broadcaster.end()`, or a source `connect()`ed with
   * `{ end: true }` that completes): every client gets it — data
   * `{"channel": "…", "reason": "complete" | "error" | "ended"}`, with the
   * channel's next id — then its response ends. Published events may not use
   * this name. (Was `endEvent`.)
   * @default 'sse-end'
   */
  end?: string;
  /**
   * Sent to a stream just before it is cut off because its identity's access
   * ended — data `{"reason":"expired"}` (`identities.expiresAt` passed) or
   * `{"reason":"revoked"}` (`broadcaster.disconnect()`). Not sent by
   * `broadcaster.close()`, which ends streams the clients may reopen at once.
   * (Was `closeEvent`.)
   * @default 'sse-close'
   */
  accessEnd?: string;
  /**
   * Sent to every open stream just before the application shuts down (data
   * `{"reason":"shutdown"}`), e.g. to show "reconnecting…". Unset sends
   * none; clients reconnect on their own either way. (Was `shutdownEvent`.)
   * @default undefined
   */
  shutdown?: string;
}

/**
 * History settings of one channel (or of the channels a pattern matches),
 * overriding the module's `history` group.
 *
 * @publicApi
 */
export interface SseChannelSettings {
  /** Events kept for replay; 0 turns history off. (Was `history`.) @default history.size */
  size?: number;
  /** Bound on the size of the history (the measure of `history.bytes`). (Was `historyBytes`.) @default history.bytes */
  bytes?: number;
  /** @deprecated use `size`. */
  history?: number;
  /** @deprecated use `bytes`. */
  historyBytes?: number;
}

/**
 * Where `SseMcpEventStore` keeps MCP streams.
 *
 * @publicApi
 */
export interface SseMcpOptions {
  /**
   * The channel prefix of MCP streams: each stream is the channel
   * `<prefix>/<tag>` (`channels: { 'mcp/:stream': { size: 500 } }` sizes their
   * history). The same on every instance.
   * @default 'mcp'
   */
  prefix?: string;
}
