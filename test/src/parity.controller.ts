import * as common from '@nestjs/common';
import { Controller, Header, HttpException, HttpStatus, NotFoundException, Sse, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import { concat, defer, EMPTY, interval, map, Observable, of, take, throwError, timer } from 'rxjs';
import { SseChannel } from '../../lib/index.js';

class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** A class with message fields, as Nest reads it: `event: tick`, `data: {"n":1}`. */
class Tick {
  readonly type = 'tick';
  readonly data: { n: number };
  constructor(n: number) {
    this.data = { n };
  }
}

/** What the handlers of each pair did, for the tests to look at. */
export const seen = { tornDown: new Map<string, number>(), signals: new Map<string, AbortSignal>() };

export type Variant = 'sse' | 'ours';

/** One case of the parity suite: the same handler under `@Sse()` and under `@SseChannel()`. */
export interface ParityCase {
  readonly name: string;
  /** The handler body, told which of the pair it runs for (after it: the route's own arguments). */
  readonly handler: (variant: Variant, ...args: never[]) => unknown;
  readonly guard?: boolean;
  readonly header?: boolean;
  /** The handler's first parameter is `@SseSignal()` (Nest ≥ 12.5). */
  readonly signal?: boolean;
}

const tornDownOn = (key: string) => () => seen.tornDown.set(key, (seen.tornDown.get(key) ?? 0) + 1);

/** An Observable that never ends by itself, and counts its teardowns under `key`. */
const endless = (key: string) =>
  new Observable<{ data: number }>((subscriber) => {
    let n = 0;
    subscriber.next({ data: n++ });
    const timerId = setInterval(() => subscriber.next({ data: n++ }), 10);
    return () => {
      clearInterval(timerId);
      tornDownOn(key)();
    };
  });

export const SseSignal = (common as unknown as { SseSignal?: () => ParameterDecorator }).SseSignal;

export const PARITY_CASES: ParityCase[] = [
  { name: 'strings', handler: () => of('a', 'b', 'c') },
  { name: 'numbers-and-booleans', handler: () => of(1, 0, true) },
  { name: 'multi-line', handler: () => of({ data: 'line 1\nline 2' }, { data: 'crlf\r\nnext' }, { data: 'cr\ronly' }) },
  { name: 'json', handler: () => of({ data: { user: 'ada', tags: ['x', 'y'], nested: { n: 1 } } }) },
  { name: 'all-attributes', handler: () => of({ data: { ok: true }, type: 'update', id: 'u-1', retry: 2500 }) },
  { name: 'retry-0', handler: () => of({ data: 'x', retry: 0 }) },
  { name: 'comment-only', handler: () => of({ comment: 'keep going' }, { data: 'after' }) },
  { name: 'empty-data', handler: () => of({ data: '' }, { data: 'next' }) },
  { name: 'id-zero', handler: () => of({ data: 'x', id: '0' }, { data: 'y', id: 7 }) },
  { name: 'unicode', handler: () => of({ data: 'héllo ☃ 😀 ü' }) },
  { name: 'message-event', handler: () => of(new MessageEvent('user-fetched', { data: { id: 7 } })) },
  { name: 'class-instance', handler: () => of(new Tick(1), new Tick(2)) },
  { name: 'big-string', handler: () => of({ data: 'b'.repeat(1024 * 1024) }, { data: 'small' }) },
  {
    name: 'async-handler',
    handler: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return interval(2).pipe(
        take(3),
        map((n) => ({ data: n })),
      );
    },
  },
  { name: 'later-first-value', handler: () => timer(30).pipe(map(() => ({ data: 'late' }))) },
  { name: 'completes-empty', handler: () => EMPTY },
  { name: 'error-after-values', handler: () => concat(of({ data: 'first' }), throwError(() => new HttpException('Quota exceeded', HttpStatus.TOO_MANY_REQUESTS))) },
  { name: 'plain-error-after-values', handler: () => concat(of({ data: 'first' }), throwError(() => new Error('secret detail'))) },
  { name: 'error-first', handler: () => throwError(() => new NotFoundException('no such feed')) },
  { name: 'plain-error-first', handler: () => throwError(() => new Error('secret detail')) },
  { name: 'late-error-first', handler: () => timer(20).pipe(map(() => { throw new NotFoundException('gone meanwhile'); })) },
  { name: 'handler-throws', handler: () => { throw new HttpException('Not in this room', HttpStatus.BAD_REQUEST); } },
  { name: 'guarded', handler: () => of({ data: 'never' }), guard: true },
  { name: 'with-header', handler: () => of({ data: 'x' }), header: true },
  { name: 'teardown', handler: (variant) => endless(`teardown-${variant}`) },
  ...(SseSignal
    ? [
        {
          name: 'signal',
          signal: true,
          handler: async (variant: Variant, signal: AbortSignal) => {
            seen.signals.set(variant, signal);
            return defer(() => endless(`signal-${variant}`));
          },
        } as ParityCase,
      ]
    : []),
];

/** A controller with `sse/<case>` (Nest's `@Sse()`) and `ours/<case>` (`@SseChannel()`) for every case. */
export function parityController(cases: readonly ParityCase[]): Type {
  const Routes = class {};
  const prototype = Routes.prototype as Record<string, unknown>;
  for (const parity of cases) {
    for (const [key, route] of [
      [`sse_${parity.name}`, Sse(`sse/${parity.name}`)],
      [`ours_${parity.name}`, SseChannel(`ours/${parity.name}`)],
    ] as const) {
      const variant: Variant = key.startsWith('sse_') ? 'sse' : 'ours';
      prototype[key] = function (this: unknown, ...args: never[]) {
        return parity.handler.call(this, variant, ...args);
      };
      const descriptor = Object.getOwnPropertyDescriptor(prototype, key)!;
      route(prototype, key, descriptor);
      if (parity.guard) {
        UseGuards(DenyGuard)(prototype, key, descriptor);
      }
      if (parity.header) {
        Header('X-Custom', 'kept')(prototype, key, descriptor);
      }
      Object.defineProperty(prototype, key, descriptor);
      if (parity.signal && SseSignal) {
        SseSignal()(prototype, key, 0);
      }
    }
  }
  Controller('parity')(Routes);
  return Routes;
}
