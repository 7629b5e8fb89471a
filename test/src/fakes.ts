import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BacklogWatch } from '../../lib/connection/backlog-watch.js';
import { SseConnection, type ConnectionOwner } from '../../lib/connection/connection.js';
import { StreamSession, type SessionInit } from '../../lib/session/stream-session.js';
import type { SessionRegistry } from '../../lib/tracker/tracked-session.js';
import { StreamSlot } from '../../lib/tracker/stream-slot.js';
import type { ChannelFeed, Cursor, FeedSink, Missed } from '../../lib/feed/feed.js';
import type { ChannelEvent } from '../../lib/feed/history.js';

/**
 * A response without a socket: what is written stays queued (`writableLength`)
 * until the test drains it, which runs the write callbacks in order.
 */
export class FakeResponse extends EventEmitter {
  readonly chunks: string[] = [];
  writableLength = 0;
  destroyed = false;
  ended = false;
  shouldKeepAlive = true;
  headersFlushed = false;
  private readonly queue: { size: number; callback?: () => void }[] = [];

  write(chunk: string | Buffer, callback?: () => void): boolean {
    const text = chunk.toString();
    this.chunks.push(text);
    const size = Buffer.byteLength(text);
    this.writableLength += size;
    this.queue.push({ size, callback });
    return true;
  }

  /** What writeHead() was given (the opener's headers). */
  status: number | undefined = undefined;
  readonly headers: Record<string, unknown> = {};

  get headersSent(): boolean {
    return false;
  }

  get writableEnded(): boolean {
    return this.ended;
  }

  writeHead(status: number, headers: Record<string, unknown> = {}): this {
    this.status = status;
    Object.assign(this.headers, headers);
    return this;
  }

  setHeader(name: string, value: unknown): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  flushHeaders(): void {
    this.headersFlushed = true;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }

  /**
   * The client reads `bytes` (all that is queued now, by default): queued
   * writes complete, oldest first; what their callbacks write stays queued.
   */
  drain(bytes = Infinity): void {
    let left = bytes;
    const pending = this.queue.splice(0, this.queue.length);
    while (pending.length > 0 && left > 0) {
      const head = pending[0];
      const taken = Math.min(head.size, left);
      head.size -= taken;
      left -= taken;
      this.writableLength -= taken;
      if (head.size === 0) {
        pending.shift();
        head.callback?.();
      }
    }
    this.queue.unshift(...pending);
  }

  /** Everything written, as one text. */
  get text(): string {
    return this.chunks.join('');
  }
}

export function fakeConnection(
  eventName = '',
  maxQueuedBytes = 0,
  watch?: BacklogWatch,
  identity?: string,
  owner?: ConnectionOwner,
): { connection: SseConnection; response: FakeResponse } {
  const response = new FakeResponse();
  const request = { method: 'GET', url: '/test', socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  const connection = new SseConnection(request, response as unknown as ServerResponse, eventName, maxQueuedBytes, watch, identity, undefined, owner);
  return { connection, response };
}

/** A raw request as the opener reads it. */
export function fakeRequest(init: { method?: string; headers?: Record<string, string>; url?: string } = {}): IncomingMessage {
  return {
    method: init.method ?? 'GET',
    url: init.url ?? '/test',
    headers: init.headers ?? {},
    httpVersionMajor: 1,
    socket: { destroyed: false, remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

/** A session on a fake response; `released` counts how often its slot was given back. */
export function fakeSession(
  init: Partial<SessionInit> = {},
  registry: SessionRegistry = { add: () => undefined, remove: () => undefined },
): { session: StreamSession; connection: SseConnection; response: FakeResponse; released: () => number } {
  const response = new FakeResponse();
  let released = 0;
  const request = { method: 'GET', url: '/test', socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  const session = new StreamSession(
    {
      request,
      response: response as unknown as ServerResponse,
      eventName: '',
      maxQueuedBytes: 0,
      heartbeat: 0,
      slot: new StreamSlot(() => released++),
      identity: undefined,
      expiresAt: undefined,
      meter: undefined,
      watch: undefined,
      ...init,
    },
    registry,
  );
  return { session, connection: session.connection, response, released: () => released };
}

export const entry = (id: string, data: string, event?: string): ChannelEvent => ({
  id,
  event,
  body: `id: ${id}\ndata: ${data}\n\n`,
});

/** A feed whose answers the test scripts. */
export class ScriptedFeed implements ChannelFeed {
  lastId: string | undefined = undefined;
  ready: Promise<void> | undefined = undefined;
  keepsHistory = false;
  active = false;
  disposed = false;
  /** What `missed()` answers, by the cursor it is asked about. */
  readonly answers = new Map<Cursor, Missed | Promise<Missed>>();
  readonly asked: Cursor[] = [];
  sink!: FeedSink;

  attach = (sink: FeedSink): this => {
    this.sink = sink;
    return this;
  };

  /** A new event, as the feed would hand it to its channel. */
  emit(event: ChannelEvent): void {
    this.lastId = event.id;
    this.sink.append(event);
  }

  missed(lastEventId: Cursor): Missed | Promise<Missed> {
    this.asked.push(lastEventId);
    return this.answers.get(lastEventId) ?? { events: [] };
  }

  setActive(active: boolean): void {
    this.active = active;
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** Lets queued microtasks (a channel's per-turn write) run. */
export const microtasks = () => new Promise<void>((resolve) => queueMicrotask(resolve));
/** Lets the event loop turn once (the library's notion of a turn changes). */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
