import { Controller, NotFoundException } from '@nestjs/common';
import { EventSource } from 'eventsource';
import { connect } from 'node:net';
import { Observable, Subject, throwError } from 'rxjs';
import request from 'supertest';
import { SseChannel, SseModule } from '../../lib/index.js';
import { SseTestStream, type SseTestEvent } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { PARITY_CASES, parityController, seen, SseSignal, type Variant } from '../src/parity.controller.js';
import { until } from '../src/until.js';

/** What a client sees of a response: status, type, events (and comments) or the error body. */
interface Observed {
  status: number;
  type: string;
  events: SseTestEvent[];
  comments: string[];
  body: unknown;
  header: string | undefined;
}

async function observe(t: TestApp, path: string): Promise<Observed> {
  const stream = await SseTestStream.open(t.server, { path });
  await stream.waitForEnd(10_000);
  const type = String(stream.headers['content-type'] ?? '').split(';')[0];
  return {
    status: stream.status,
    type,
    events: stream.events,
    comments: stream.comments.filter((comment) => comment !== ''),
    body: type === 'application/json' ? JSON.parse(stream.body) : stream.body,
    header: stream.headers['x-custom'] as string | undefined,
  };
}

/** Nest numbers the events that carry no id of their own, per connection; we do not (documented). */
function withoutNestAutoIds(nest: Observed, ours: Observed): Observed {
  return {
    ...nest,
    events: nest.events.map((event, i) =>
      ours.events[i]?.id === undefined && /^\d+$/.test(event.id ?? '') ? { ...event, id: undefined } : event,
    ),
  };
}

/**
 * The reference is Nest 12's own `@Sse()` (12.5 and later). On the Nest 11 run
 * (whose `@Sse()` is older and behaves differently) only our side is checked.
 */
const NEST_12 = process.env.SSE_EXPECT_NEST_MAJOR === '12';
const VARIANTS: Variant[] = NEST_12 ? ['sse', 'ours'] : ['ours'];

/** Cases that are not compared event for event: they end by a client leaving, or differ on purpose. */
const SPECIAL = ['teardown', 'signal', 'late-error-first'];
const FINITE = PARITY_CASES.filter((parity) => !SPECIAL.includes(parity.name));

describe.each(PLATFORMS)('parity with Nest\'s @Sse() on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [parityController(PARITY_CASES)] });
  });
  afterAll(() => t.close());

  (NEST_12 ? it.each(FINITE.map((parity) => parity.name)) : () => undefined)('%s: the client sees the same under both', async (name: string) => {
    const [nest, ours] = await Promise.all([observe(t, `/parity/sse/${name}`), observe(t, `/parity/ours/${name}`)]);
    expect(ours).toEqual(withoutNestAutoIds(nest, ours));
  });

  (NEST_12 ? it : () => undefined)('differs on purpose: an error within maxHeaderDelay (1 s), before any value, is an HTTP error — Nest sends its headers after one turn', async () => {
    const [nest, ours] = await Promise.all([observe(t, '/parity/sse/late-error-first'), observe(t, '/parity/ours/late-error-first')]);
    expect(ours).toMatchObject({ status: 404, type: 'application/json', body: { statusCode: 404, message: 'gone meanwhile', error: 'Not Found' }, events: [] });
    expect(nest).toMatchObject({ status: 200, type: 'text/event-stream', events: [{ event: 'error', data: 'gone meanwhile' }] });
  });

  it('the cases say what they are meant to', async () => {
    const [errorFirst, lateError, allAttributes, messageEvent] = await Promise.all(
      ['error-first', 'late-error-first', 'all-attributes', 'message-event'].map((name) => observe(t, `/parity/ours/${name}`)),
    );
    expect(errorFirst).toMatchObject({ status: 404, type: 'application/json', body: { statusCode: 404, message: 'no such feed', error: 'Not Found' } });
    expect(lateError).toMatchObject({ status: 404, body: { message: 'gone meanwhile' } });
    expect(allAttributes.events).toEqual([{ event: 'update', data: '{"ok":true}', id: 'u-1', retry: 2500 }]);
    expect(messageEvent.events).toEqual([{ event: 'user-fetched', data: '{"id":7}', id: undefined, retry: undefined }]);
  });

  (NEST_12 ? it : () => undefined)('HEAD gets the same status and type', async () => {
    const [nest, ours] = await Promise.all(['sse', 'ours'].map((variant) => request(t.server).head(`/parity/${variant}/strings`)));
    expect([ours.status, ours.headers['content-type']?.split(';')[0]]).toEqual([nest.status, nest.headers['content-type']?.split(';')[0]]);
  });

  it('a client that leaves stops the Observable under both', async () => {
    for (const variant of VARIANTS) {
      const before = seen.tornDown.get(`teardown-${variant}`) ?? 0;
      const stream = await SseTestStream.open(t.server, { path: `/parity/${variant}/teardown` });
      await stream.waitForEvents(2);
      await stream.close();
      await until(() => (seen.tornDown.get(`teardown-${variant}`) ?? 0) === before + 1, `the ${variant} Observable to be torn down`);
    }
  });

  it('an error before the first value makes EventSource (4.1) give up under both, instead of reconnecting', async () => {
    for (const variant of VARIANTS) {
      const source = new EventSource(`${t.url}/parity/${variant}/error-first`);
      const errors: number[] = [];
      await new Promise<void>((resolve) => {
        source.onerror = (event) => {
          errors.push((event as { code?: number }).code ?? 0);
          resolve();
        };
      });
      expect(source.readyState).toBe(EventSource.CLOSED);
      expect(errors).toEqual([404]);
      source.close();
    }
  });

  // @SseSignal() exists from Nest 11.2 and 12.5; without it the route works as before (module suite).
  (SseSignal ? it : () => undefined)('@SseSignal() aborts when the client leaves, under both', async () => {
    for (const variant of VARIANTS) {
      const before = seen.tornDown.get(`signal-${variant}`) ?? 0;
      const stream = await SseTestStream.open(t.server, { path: `/parity/${variant}/signal` });
      await stream.waitForEvents(1);
      const signal = seen.signals.get(variant)!;
      expect(signal.aborted).toBe(false);
      await stream.close();
      await until(() => signal.aborted, `the ${variant} signal to abort`);
      await until(() => (seen.tornDown.get(`signal-${variant}`) ?? 0) === before + 1, `the ${variant} Observable to be torn down`);
    }
  });
});

const quiet = new Subject<string>();
const waiting = { subscribed: 0, tornDown: 0 };

@Controller('delay')
class DelayController {
  @SseChannel('zero', { firstValueTimeout: 0 })
  zero() {
    return throwError(() => new NotFoundException('no such feed'));
  }

  @SseChannel('quiet', { firstValueTimeout: 30, event: 'late' })
  quiet() {
    return quiet;
  }

  @SseChannel('waiting')
  waiting() {
    return new Observable<never>(() => {
      waiting.subscribed++;
      return () => waiting.tornDown++;
    });
  }
}

describe.each(PLATFORMS)('maxHeaderDelay on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0, limits: { maxClients: 1 } })], controllers: [DelayController] });
  });
  afterAll(() => t.close());

  it('0 sends the headers at once: an early error is then the error event', async () => {
    const stream = await SseTestStream.open(t.server, { path: '/delay/zero' });
    await stream.waitForEnd();
    expect(stream.status).toBe(200);
    expect(stream.events).toEqual([{ event: 'error', data: 'no such feed', id: undefined, retry: undefined }]);
  });

  it('a stream whose first value is far off opens once the delay has passed', async () => {
    const stream = await SseTestStream.open(t.server, { path: '/delay/quiet' });
    expect(stream.status).toBe(200);
    expect(stream.events).toEqual([]);
    quiet.next('finally');
    expect((await stream.waitForEvents(1))[0]).toMatchObject({ event: 'late', data: 'finally' });
    await stream.close();
  });

  it('a client that leaves while the headers wait stops the Observable and gives its place back', async () => {
    const before = { ...waiting };
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    socket.write('GET /delay/waiting HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    await until(() => waiting.subscribed === before.subscribed + 1, 'the Observable to be subscribed');
    socket.destroy();
    await until(() => waiting.tornDown === before.tornDown + 1, 'the Observable to be torn down');
    // maxClients is 1: the place is free again.
    const next = await SseTestStream.open(t.server, { path: '/delay/quiet' });
    expect(next.status).toBe(200);
    await next.close();
  });
});
