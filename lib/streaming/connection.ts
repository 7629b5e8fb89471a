import type { IncomingMessage, ServerResponse } from 'node:http';

/** Why a connection ended. */
export type CloseReason = 'client' | 'server' | 'slow';

/**
 * One client's open event stream. It owns the raw response and writes whole
 * frames to it, one write per call; whoever calls it batches what is due in one
 * turn of the event loop. It counts the bytes the socket has not sent yet and
 * drops the client once they pass `maxQueuedBytes`, so a client that stops
 * reading can neither slow the others down nor make memory grow.
 *
 * A few fields per client: no per-client timers, buffers or rxjs pipelines.
 */
export class SseConnection {
  /** Set once, when the stream ends for any reason. */
  closed = false;
  /** Called once when the stream ends: leaves the channel, stops the client's Observable. */
  onClose: ((connection: SseConnection, reason: CloseReason) => void) | undefined = undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    /** The route's event name for frames that carry none ('' for none). */
    readonly eventName: string,
    /** Unsent bytes allowed before the client is dropped as slow (0: no bound). */
    readonly maxQueuedBytes: number,
  ) {
    response.once('close', this.handleClientClose);
  }

  /**
   * Writes whole frames; returns false if the client is gone or was dropped as
   * slow. `onFlushed` runs once the chunk has been handed to the socket.
   */
  write(chunk: string | Buffer, onFlushed?: () => void): boolean {
    if (this.closed) {
      return false;
    }
    this.response.write(chunk, onFlushed);
    if (this.maxQueuedBytes > 0 && this.response.writableLength > this.maxQueuedBytes) {
      this.finish('slow');
      this.response.destroy();
      return false;
    }
    return true;
  }

  /**
   * Ends the stream from the server side, after what was written so far.
   * With `closeSocket` (on shutdown) the keep-alive connection is closed too,
   * so that the server's close() need not wait for it to idle out.
   */
  end(lastChunk?: string | Buffer, closeSocket = false): void {
    if (this.closed) {
      return;
    }
    if (lastChunk !== undefined) {
      this.response.write(lastChunk);
    }
    this.finish('server');
    if (closeSocket) {
      // Node closes the connection once this response has gone out.
      this.response.shouldKeepAlive = false;
    }
    this.response.end();
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
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.(this, reason);
  }
}
