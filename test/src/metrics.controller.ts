import { Controller } from '@nestjs/common';
import { of } from 'rxjs';
import { SseChannel } from '../../lib/index.js';

type WithHeaders = { headers: Record<string, string | string[] | undefined> };
const header = (req: WithHeaders, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** Routes for the metrics suite: a room, a tight queue bound, a per-client stream, a capped identity route. */
@Controller()
export class MetricsController {
  @SseChannel('rooms/:id')
  room(): void {}

  @SseChannel('feeds/:topic/tight', { channel: 'feeds/:topic', maxQueuedBytes: 64 * 1024 })
  tight(): void {}

  /** A per-client stream: two values, then it completes. */
  @SseChannel('own', { event: 'own' })
  own() {
    return of('a', 'b');
  }

  /** One stream per user; `x-expires` (ms since the epoch) says when its credential expires. */
  @SseChannel('inbox/:user', {
    identify: (req: WithHeaders) => header(req, 'x-user'),
    expiresAt: (req: WithHeaders) => (header(req, 'x-expires') ? Number(header(req, 'x-expires')) : undefined),
    maxClientsPerIdentity: 1,
  })
  inbox(): void {}
}
