import { HttpException, type Logger } from '@nestjs/common';
import { Subscription, type Observable } from 'rxjs';
import type { SseConnection } from './connection.js';
import { encodeFrame } from '../wire/encoder.js';
import { toFrameParts } from '../wire/message.js';
import { TurnBatcher } from '../util/turn-batcher.js';

/**
 * The text of the `error` frame a client gets when its stream fails after the
 * headers went out: an HttpException's own message, otherwise a generic one
 * (and the error is logged).
 */
export function errorFrame(error: unknown, logger: Logger, where: string): string {
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
 * Streams a per-client Observable: each value one frame (the route's event
 * name applied), the frames of one event-loop turn in one write. Completion
 * ends the response; an error, or a value that cannot be encoded, sends one
 * `error` frame and ends it.
 *
 * @returns the subscription; unsubscribe it when the client goes away
 */
export function pipeToClient(
  connection: SseConnection,
  source$: Observable<unknown>,
  logger: Logger,
  where: string,
): Subscription {
  const subscription = new Subscription();
  const batch = new TurnBatcher<string>((frames) => connection.write(frames.join('')));
  const flush = batch.flush;
  const fail = (error: unknown) => {
    flush();
    connection.end(errorFrame(error, logger, where));
    subscription.unsubscribe();
  };
  subscription.add(
    source$.subscribe({
      next: (value) => {
        if (connection.closed) {
          return;
        }
        let frame: string;
        try {
          frame = encodeFrame(toFrameParts(value, connection.eventName));
        } catch (error) {
          fail(error);
          return;
        }
        batch.add(frame);
      },
      error: fail,
      complete: () => {
        flush();
        connection.end();
      },
    }),
  );
  return subscription;
}
