import { Controller, NotFoundException, Param } from '@nestjs/common';
import { LastEventId, SseChannel, type SseMessage } from 'nestjs-sse-channel';
import { from, type Observable } from 'rxjs';

// The logs of finished builds (a running job's log would come from your job runner).
const LOGS = new Map([['7', ['npm ci', 'npm run build', 'npm test']]]);

@Controller('jobs')
export class JobsController {
  // GET /jobs/7/log: a per-client stream. The handler returns an Observable; this client alone
  // gets its values, each one a `line` event. Its completion ends the response.
  @SseChannel(':id/log', { event: 'line' })
  log(@Param('id') id: string, @LastEventId() lastEventId?: string): Observable<SseMessage<string>> {
    const lines = LOGS.get(id);
    if (lines === undefined) {
      throw new NotFoundException(`No job ${id}`); // a 404, before any SSE header
    }
    // Nothing is replayed for you on a per-client stream: resume after the line the client saw last.
    const seen = Number(lastEventId ?? 0);
    const start = Number.isInteger(seen) && seen > 0 ? seen : 0;
    const rest = lines.slice(start).map((line, i) => ({ id: String(start + i + 1), data: line }));
    // The last event tells the client to close: EventSource reconnects when a response ends.
    return from([...rest, { event: 'done', data: 'passed' }]);
  }
}
