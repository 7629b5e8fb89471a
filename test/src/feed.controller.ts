import {
  Body,
  CanActivate,
  Controller,
  Header,
  HttpException,
  HttpStatus,
  Injectable,
  Param,
  ParseIntPipe,
  Post,
  RequestMethod,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import { concat, interval, map, Observable, of, take, throwError } from 'rxjs';
import { SseBroadcaster, SseChannel } from '../../lib/index.js';

@Injectable()
export class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** What per-client Observables did, so tests can see their teardown run. */
export const observed = { subscribed: 0, tornDown: 0 };

/** The handler body an `@Sse()` user already has. */
function legacyTicks(): Observable<MessageEvent> {
  return interval(5).pipe(
    take(3),
    map((i) => ({ data: { i, text: `tick ${i}` }, id: String(i + 1), type: 'tick' })),
  );
}

export class SearchDto {
  terms!: string[];
}

@Controller('feed')
export class FeedController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  @SseChannel('news', { channel: 'news', event: 'news' })
  news(): void {}

  @SseChannel('news-alerts', { channel: 'news', event: 'alert' })
  newsAlerts(): void {}

  @SseChannel('news-plain', { channel: 'news' })
  newsPlain(): void {}

  @SseChannel('rooms/:id', { channel: 'rooms/:id', event: 'chat' })
  room(): void {}

  @Post('rooms/:id')
  async say(@Param('id') id: string, @Body() body: { text: string }): Promise<{ id: string }> {
    return { id: await this.broadcaster.publish(`rooms/${id}`, body) };
  }

  @SseChannel('pick/:name', { event: 'picked' })
  pick(@Param('name') name: string) {
    return this.broadcaster.channel(`picked-${name}`);
  }

  @SseChannel('count/:n', { event: 'count' })
  count(@Param('n', ParseIntPipe) n: number): Observable<number> {
    return interval(1).pipe(take(n));
  }

  @SseChannel('search', { method: RequestMethod.POST, event: 'result' })
  async search(@Body() body: SearchDto): Promise<Observable<{ term: string; rank: number }>> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return of(...body.terms.map((term, rank) => ({ term, rank })));
  }

  @UseGuards(DenyGuard)
  @SseChannel('secret', { channel: 'secret' })
  secret(): void {}

  @SseChannel('fails')
  fails(): Observable<unknown> {
    return concat(of('first'), throwError(() => new Error('database password is hunter2')));
  }

  @SseChannel('fails-http')
  failsHttp(): Observable<unknown> {
    return concat(of('first'), throwError(() => new HttpException('Quota exceeded', HttpStatus.TOO_MANY_REQUESTS)));
  }

  @SseChannel('bad-value', { event: 'item' })
  badValue(): Observable<unknown> {
    return of({ ok: 1 }, { data: 1n }, { never: 'sent' });
  }

  @SseChannel('throws-early')
  throwsEarly(): Observable<unknown> {
    throw new HttpException('Not in this room', HttpStatus.BAD_REQUEST);
  }

  @SseChannel('returns-string')
  returnsString(): unknown {
    return 'not a stream';
  }

  @SseChannel('endless', { event: 'beat' })
  endless(): Observable<number> {
    return new Observable<number>((subscriber) => {
      observed.subscribed++;
      let n = 0;
      const timer = setInterval(() => subscriber.next(n++), 5);
      return () => {
        clearInterval(timer);
        observed.tornDown++;
      };
    });
  }

  @Header('X-Custom', 'kept')
  @SseChannel('headers', { channel: 'headers' })
  withHeader(): void {}

  @Sse('legacy')
  legacy(): Observable<MessageEvent> {
    return legacyTicks();
  }

  @SseChannel('drop-in')
  dropIn(): Observable<MessageEvent> {
    return legacyTicks();
  }
}
