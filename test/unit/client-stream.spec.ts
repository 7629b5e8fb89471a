import { jest } from '@jest/globals';
import { ForbiddenException, Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Subject } from 'rxjs';
import { ClientStream } from '../../lib/session/client-stream.js';
import { fakeConnection, FakeResponse } from '../src/fakes.js';

const logger = new Logger('test');

/** A per-client stream on a fake raw response, waiting at most `delay` ms for its first value. */
function stream(delay: number, source = new Subject<unknown>()) {
  const raw = new FakeResponse();
  const own = new ClientStream(source, 'tok', logger, 'Answers.stream', delay, raw as unknown as ServerResponse);
  const opened = jest.fn();
  const refused = jest.fn();
  own.opened.then(opened, refused);
  return { own, source, raw, opened, refused };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ClientStream (a per-client Observable)', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('keeps what came before the headers and writes it first, in one write, then the rest', async () => {
    const { own, source, opened } = stream(1000);
    source.next('a');
    await settle();
    expect(opened).toHaveBeenCalled(); // the first value ends the wait
    source.next('b');
    const { connection, response } = fakeConnection();
    own.attach(connection);
    source.next('c');
    expect(response.chunks).toEqual(['event: tok\ndata: a\n\nevent: tok\ndata: b\n\n', 'event: tok\ndata: c\n\n']);
    source.complete();
    expect(response.ended).toBe(true);
  });

  it('an error before the first value refuses the headers (an HTTP error); after them it is an error frame', async () => {
    const early = stream(1000);
    early.source.error(new ForbiddenException('not yours'));
    await settle();
    expect(early.refused).toHaveBeenCalledWith(expect.any(ForbiddenException));

    const late = stream(1000);
    late.source.next('a');
    const { connection, response } = fakeConnection();
    late.own.attach(connection);
    late.source.error(new Error('disk gone'));
    expect(response.text).toBe('event: tok\ndata: a\n\nevent: error\ndata: Internal server error\n\n');
    expect(response.ended).toBe(true);
    expect(Logger.prototype.error).toHaveBeenCalledWith(expect.stringContaining('Answers.stream: the stream failed'), expect.anything());
  });

  it('with no value within the delay the headers go out, and a client that leaves ends the wait at once', async () => {
    jest.useFakeTimers();
    const quiet = stream(500);
    jest.advanceTimersByTime(499);
    await Promise.resolve();
    expect(quiet.opened).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(quiet.opened).toHaveBeenCalled();

    const leaving = stream(500);
    leaving.raw.emit('close');
    await Promise.resolve();
    expect(leaving.opened).toHaveBeenCalled();
  });

  it('with delay 0 subscribes only once attached; cancel() stops the source', () => {
    const { own, source } = stream(0);
    expect(source.observed).toBe(false);
    const { connection } = fakeConnection();
    const subscription = own.attach(connection);
    expect(source.observed).toBe(true);
    subscription.unsubscribe();
    expect(source.observed).toBe(false);

    const cancelled = stream(1000);
    expect(cancelled.source.observed).toBe(true);
    cancelled.own.cancel();
    expect(cancelled.source.observed).toBe(false);
  });

  it('a value that cannot be encoded ends the stream with an error frame', () => {
    const { own, source } = stream(0);
    const { connection, response } = fakeConnection();
    own.attach(connection);
    source.next({ data: 'x', id: 'a\nb' });
    expect(response.text).toMatch(/^event: error\ndata: Internal server error\n\n$/);
    expect(source.observed).toBe(false);
  });
});
