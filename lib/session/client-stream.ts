import { HttpException, type Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Subscription, type Observable } from 'rxjs';
import { encodeFrame } from '../wire/encoder.js';
import { toFrameParts, type DataPreparer } from '../wire/message.js';
import type { SseConnection } from '../connection/connection.js';

/**
 * The text of the `error` frame a client gets when its stream fails after the
 * headers went out: an HttpException's own message, otherwise a generic one
 * (and the error is logged).
 */
function errorFrame(error: unknown, logger: Logger, where: string): string {
  if (error instanceof HttpException) {
    return encodeFrame({ event: 'error', data: error.message });
  }
  logger.error(
    `${where}: the stream failed and was ended with an error event. ${error instanceof Error ? error.message : String(error)}`,
    error instanceof Error ? error.stack : undefined,
  );
  return encodeFrame({ event: 'error', data: 'Internal server error' });
}

/**
 * One client's own stream: a per-client Observable, each value one frame
 * (the route's event name applied) in one write — Node corks a response's
 * writes within one tick into one system call, so nothing is batched here.
 * Completion ends the response; an error, or a value that cannot be encoded,
 * sends one `error` frame and ends it.
 *
 * Before the headers go out it is subscribed already and waits — for its
 * first value, its completion or its error, at most `maxHeaderDelay` ms — so
 * that an error that comes first is an HTTP error (`opened` rejects with it),
 * as with Nest's `@Sse()`. What it emits meanwhile is kept for the client.
 */
export class ClientStream {
  /** Settles once the headers may go out; rejects with an error that came before them. */
  readonly opened: Promise<void>;
  private readonly subscription = new Subscription();
  private connection: SseConnection | undefined;
  private readonly early: string[] = [];
  private completedEarly = false;
  /** An error that came after the wait ended but before the headers went out. */
  private failedEarly: { error: unknown } | undefined;
  /** With `maxHeaderDelay` 0: the Observable, subscribed only once the headers are out. */
  private subscribeLater: Observable<unknown> | undefined;
  private open!: () => void;
  private refuse!: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    source$: Observable<unknown>,
    private readonly eventName: string,
    private readonly logger: Logger,
    private readonly where: string,
    maxHeaderDelay: number,
    /** The raw response: a client that leaves while it waits stops the wait. */
    private readonly response: ServerResponse,
    /** Applied to each value's data before it is serialized (the `transform` option). */
    private readonly prepare?: DataPreparer,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.open = resolve;
      this.refuse = reject;
    });
    if (maxHeaderDelay === 0) {
      this.open();
      this.subscribeLater = source$;
      return;
    }
    response.once('close', this.stopWaiting);
    this.timer = setTimeout(this.stopWaiting, maxHeaderDelay);
    this.subscription.add(source$.subscribe(this.observer));
  }

  /**
   * The headers are out: the client gets what came meanwhile, then the rest.
   * @returns the subscription; unsubscribe it when the client goes away
   */
  attach(connection: SseConnection): Subscription {
    this.connection = connection;
    this.settleWait();
    if (this.early.length > 0) {
      connection.write(this.early.join(''));
      this.early.length = 0;
    }
    if (this.failedEarly) {
      connection.end(errorFrame(this.failedEarly.error, this.logger, this.where), 'error');
    } else if (this.completedEarly) {
      connection.end(undefined, 'complete');
    } else if (this.subscribeLater) {
      this.subscription.add(this.subscribeLater.subscribe(this.observer));
    }
    return this.subscription;
  }

  /** No stream after all (a HEAD request, a client gone, shutdown): stop the Observable. */
  cancel(): void {
    this.settleWait();
    this.subscription.unsubscribe();
  }

  private readonly observer = {
    next: (value: unknown) => {
      if (this.subscription.closed) {
        return; // (a synchronous source goes on after an error until its loop ends)
      }
      let frame: string;
      try {
        frame = encodeFrame(toFrameParts(value, this.eventName, this.prepare));
      } catch (error) {
        this.observer.error(error);
        return;
      }
      if (this.connection) {
        this.connection.write(frame);
      } else {
        this.early.push(frame);
        this.stopWaiting();
      }
    },
    error: (error: unknown) => {
      if (this.connection) {
        this.connection.end(errorFrame(error, this.logger, this.where), 'error');
      } else {
        this.settleWait();
        this.failedEarly = { error };
        this.refuse(error);
      }
      this.subscription.unsubscribe();
    },
    complete: () => {
      if (this.connection) {
        this.connection.end(undefined, 'complete');
      } else {
        this.completedEarly = true;
        this.stopWaiting();
      }
    },
  };

  private readonly stopWaiting = (): void => {
    this.settleWait();
    this.open();
  };

  private settleWait(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.response.removeListener('close', this.stopWaiting);
  }
}
