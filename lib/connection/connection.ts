import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backlogged, BacklogWatch } from './backlog-watch.js';
import type { Socket } from 'node:net';
import { chunkedSocket, writeChunk } from './chunked-socket.js';
import { currentTurn } from './event-loop-turn.js';
import type { StreamMeter } from '../model/meters.js';
import type { CloseReason, ServerCloseReason } from '../model/close-reason.js';


/** Who is told, once, that a connection ended: the stream's session. */
export interface ConnectionOwner {
  connectionClosed(reason: CloseReason): void;
}

/**
 * One client's open event stream. It owns the raw response and writes whole
 * frames to it, one write per call; whoever calls it batches what is due in one
 * turn of the event loop.
 *
 * The slow-client rule: "slow" means not draining, not "a big write just
 * happened". A client whose unsent bytes stay above `maxQueuedBytes` for
 * longer than the watch's timeout is dropped (checked by the shared
 * {@link BacklogWatch}, no timer per client). One whose bytes left over from
 * earlier turns of the event loop pass `2 × maxQueuedBytes` plus its largest
 * single write is dropped at once, so memory per stuck client stays bounded.
 * Whatever is written within one turn never counts against a client: it
 * cannot have read it yet, and an event bigger than the bound still arrives.
 *
 * A few numbers per client: no per-client timers, buffers or rxjs pipelines.
 */
export class SseConnection implements Backlogged {
  /** Set once, when the stream ends for any reason. */
  closed = false;
  /** Whether anything was written yet (the headers go out with the first write). */
  written = false;
  /** Since when (ms since the epoch) the backlog has been above the bound; 0 when it is not. */
  private overSince = 0;
  /** The largest single write since the backlog was last within the bound. */
  private largestWrite = 0;
  /** The turn of the event loop of the last write, and the backlog when that turn began. */
  private turn = -1;
  private queuedAtTurnStart = 0;
  /** Where frames go once the headers are out: the socket (chunked HTTP/1.1), or `null` for `response.write()`. */
  private socket: Socket | null | undefined = undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    /** The route's event name for frames that carry none ('' for none). */
    readonly eventName: string,
    /** Unsent bytes allowed for longer than the watch's timeout (0: no bound). */
    readonly maxQueuedBytes: number,
    private readonly watch: BacklogWatch | undefined,
    /** Who the stream belongs to (the `identify` option); `undefined`: anonymous. */
    readonly identity: string | undefined = undefined,
    /** Its route's metrics, which count the bytes written (`undefined`: metrics are off). */
    readonly meter: StreamMeter | undefined = undefined,
    /** Told once when the stream ends, for whatever reason: its stream's session. */
    private owner: ConnectionOwner | undefined = undefined,
  ) {
    response.once('close', this.handleClientClose);
  }

  /** Unsent bytes of this stream (queued in Node, not yet handed to the socket). */
  get queuedBytes(): number {
    return this.response.writableLength;
  }

  get isBacklogged(): boolean {
    return !this.closed && this.maxQueuedBytes > 0 && this.response.writableLength > this.maxQueuedBytes;
  }

  /**
   * Writes whole frames; returns false if the client is gone or was dropped as
   * slow. `onFlushed` runs once the chunk has been handed to the socket.
   */
  write(chunk: string | Buffer, onFlushed?: () => void): boolean {
    if (this.closed) {
      return false;
    }
    if (chunk.length === 0) {
      // Nothing to send (an empty chunk would end a chunked body).
      if (onFlushed) queueMicrotask(onFlushed);
      return true;
    }
    this.written = true;
    const bound = this.maxQueuedBytes;
    if (bound === 0) {
      this.send(chunk, onFlushed);
      return true;
    }
    const before = this.queued();
    if (before > bound) {
      // Only a client with a backlog pays for the turn bookkeeping.
      const turn = currentTurn();
      if (turn !== this.turn) {
        this.turn = turn;
        this.queuedAtTurnStart = before;
      }
      if (Math.min(before, this.queuedAtTurnStart) > 2 * bound + this.largestWrite) {
        // What is left over from earlier turns (queues drain oldest first) passed the ceiling.
        this.dropSlow();
        return false;
      }
    } else if (this.largestWrite !== 0) {
      this.largestWrite = 0;
    }
    this.send(chunk, onFlushed);
    // (A string's UTF-8 takes at most 3 bytes per UTF-16 unit.)
    if (before + (typeof chunk === 'string' ? 3 * chunk.length : chunk.length) > bound) {
      const after = this.queued();
      if (after - before > this.largestWrite) {
        this.largestWrite = after - before;
      }
      if (after > bound && this.overSince === 0 && this.watch) {
        this.overSince = Date.now();
        this.watch.add(this);
      }
    }
    return true;
  }

  /** Unsent bytes; once frames go straight to the socket, only the socket holds any. */
  private queued(): number {
    return this.socket ? this.socket.writableLength : this.response.writableLength;
  }

  /** One whole frame (or several) to the client, in one write. */
  private send(chunk: string | Buffer, onFlushed: (() => void) | undefined): void {
    // (With metrics, a string's UTF-8 length is measured once, for both.)
    const size = this.meter === undefined ? undefined : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (size !== undefined) {
      this.meter!.bytes += size;
    }
    const socket = this.socket;
    if (socket) {
      writeChunk(socket, chunk, onFlushed, size);
      return;
    }
    this.response.write(chunk, onFlushed);
    if (socket === undefined) {
      this.socket = chunkedSocket(this.response);
    }
  }

  checkBacklog(now: number, timeoutMs: number): boolean {
    if (this.closed) {
      return false;
    }
    if (this.response.writableLength <= this.maxQueuedBytes) {
      this.overSince = 0;
      return false;
    }
    if (now - this.overSince >= timeoutMs) {
      this.dropSlow();
      return false;
    }
    return true;
  }

  /**
   * Ends the stream from the server side, after what was written so far.
   * On shutdown, an HTTP/2 client's session is told to open nothing new.
   */
  end(lastChunk?: string | Buffer, reason: ServerCloseReason = 'server'): void {
    if (this.closed) {
      return;
    }
    const closeSocket = reason === 'shutdown';
    if (lastChunk !== undefined) {
      this.response.write(lastChunk);
      if (this.meter !== undefined) this.meter.bytes += Buffer.byteLength(lastChunk);
    }
    this.finish(reason);
    if (closeSocket) {
      // (A hint only: once the headers are out, Node 20 has decided keep-alive; the
      // connection is closed by app.close()'s closeIdleConnections() — pinned in
      // test/e2e/dependencies.e2e-spec.ts.)
      this.response.shouldKeepAlive = false;
    }
    this.response.end();
    if (closeSocket) {
      // HTTP/2: tell the client's session to open nothing new here (GOAWAY); it
      // closes once its streams are done, so the server can close at once, and
      // the client reconnects on a new connection instead of getting a 503 here.
      (this.request as { stream?: { session?: { close(): void; closed?: boolean } } }).stream?.session?.close();
    }
  }

  private dropSlow(): void {
    this.finish('slow');
    this.response.destroy();
  }

  private readonly handleClientClose = (): void => {
    this.finish('client');
  };

  private finish(reason: CloseReason): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.response.removeListener('close', this.handleClientClose);
    const owner = this.owner;
    this.owner = undefined;
    owner?.connectionClosed(reason);
  }
}
