import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { readLastEventId } from '../connection/open-event-stream.js';

/**
 * The id of the last event the client saw — its `Last-Event-ID` header (read
 * as UTF-8) or `lastEventId` query parameter — or `undefined` on a first
 * connection. For per-client Observable routes, which resume by themselves
 * (channel routes replay from history on their own).
 *
 * @example
 * @SseChannel('jobs/:id/log')
 * log(@Param('id') id: string, @LastEventId() lastEventId?: string) {
 *   return this.jobs.logSince(id, lastEventId);
 * }
 *
 * @publicApi
 */
export const LastEventId = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const request = context.switchToHttp().getRequest<IncomingMessage & { raw?: IncomingMessage }>();
  return readLastEventId(request.raw ?? request);
});
