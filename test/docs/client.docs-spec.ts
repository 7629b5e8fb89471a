import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { SseClientError, type SseClientErrorKind, type SseClientOptions } from 'nestjs-sse-channel/client';
import { AppModule } from '../../docs/examples/client/app.module.js';
import { Tokens } from '../../docs/examples/client/auth.js';
import type { Bid } from '../../docs/examples/client/bid.js';
import { tokenFor, watchAuction } from '../../docs/examples/client/client.js';
import { until } from '../src/until.js';

/** A promise the test opens when it is ready (a reconnect held while bids are placed). */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/**
 * A TCP proxy to the app: `cut()` destroys the connections open now, as a
 * network failure would; later connections go through. It keeps the request
 * head (request line and headers) of each connection.
 */
async function proxyTo(target: string): Promise<{ url: string; requests: string[]; cut: () => void; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    let head = '';
    const at = requests.push('') - 1;
    client.on('data', (data: Buffer) => {
      if (!head.includes('\r\n\r\n')) {
        head += data.toString('latin1');
        requests[at] = head.split('\r\n\r\n')[0];
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    cut: () => sockets.forEach((socket) => socket.destroy()),
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A header of a raw request head. */
const headerOf = (head: string, name: string) => new RegExp(`^${name}: ([^\r\n]*)`, 'im').exec(head)?.[1];

/** The rejection of a promise that must reject. */
const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as SseClientError,
  );

// docs/client.md: docs/examples/client/ as pasted — an auction app whose stream
// needs a token in the Authorization header, and client.ts (SseClient) in Node.
describe.each(['express', 'fastify'] as const)('the client guide (SseClient against the auction app) on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  let broadcaster: SseBroadcaster;
  const clients: { close(): void }[] = [];
  const keep = <T extends { close(): void }>(client: T): T => {
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
    broadcaster = app.get(SseBroadcaster);
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  afterAll(() => app?.close());

  /** A JSON request with `token` as its Bearer token. */
  const call = (token: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const tokenOf = (name: string) => app.get(Tokens).issue(name).token;
  const newAuction = async (seller: string) => {
    const response = await call(tokenOf(seller), '/auctions');
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const bid = async (name: string, auction: string, amount: number) => {
    const response = await call(tokenOf(name), `/auctions/${auction}/bids`, { amount });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  it('a watcher signed in with tokenFor() gets every bid, parsed (amount a number), its token sent in Authorization; done resolves when the seller closes', async () => {
    const auction = await newAuction('ann');
    const bids: Bid[] = [];
    const client = keep(watchAuction(url, auction, tokenFor(url, 'bob'), (bid) => bids.push(bid)));
    const states: string[] = [];
    client.onState((state) => states.push(state));
    // The stream belongs to bob: the guard found his token in the Authorization header.
    await until(() => client.state === 'open' && broadcaster.clientCount(`auctions/${auction}`) === 1, 'the stream');
    expect(await broadcaster.identities(`auctions/${auction}`)).toEqual(['bob']);
    await bid('cy', auction, 100);
    await bid('bob', auction, 120.5);
    await until(() => bids.length === 2, 'two bids');
    expect(bids).toEqual([
      { from: 'cy', amount: 100 },
      { from: 'bob', amount: 120.5 },
    ]);
    expect(typeof bids[1].amount).toBe('number');

    expect((await call(tokenOf('cy'), `/auctions/${auction}/close`)).status).toBe(403); // not the seller
    expect((await call(tokenOf('ann'), `/auctions/${auction}/close`)).status).toBe(204);
    await expect(client.done).resolves.toEqual({ channel: `auctions/${auction}`, reason: 'ended' });
    expect(client.state).toBe('closed');
    expect(states).toEqual(['open', 'closed']);

    // Someone who comes later gets the bids so far (from: 'start'), then the end.
    const late: Bid[] = [];
    const latecomer = keep(watchAuction(url, auction, tokenFor(url, 'dan'), (bid) => late.push(bid)));
    await expect(latecomer.done).resolves.toEqual({ channel: `auctions/${auction}`, reason: 'ended' });
    expect(late).toEqual(bids);
  });

  it('cut mid-auction: the client reconnects by itself with Last-Event-ID and a token asked again, and gets the bids it missed once, in order', async () => {
    const auction = await newAuction('ann');
    const proxy = await proxyTo(url);
    const away = gate();
    let asked = 0;
    const token = async () => {
      if (++asked > 1) await away.wait; // the reconnect waits until the test has placed bids
      return tokenOf('eve');
    };
    try {
      const bids: number[] = [];
      const ids: (string | undefined)[] = [];
      const client = keep(watchAuction(proxy.url, auction, token, (bid) => bids.push(bid.amount)));
      client.on('bid', (_bid, meta) => ids.push(meta.id));
      const errors: SseClientErrorKind[] = [];
      client.onError((error) => errors.push(error.kind));
      await until(() => broadcaster.clientCount(`auctions/${auction}`) === 1, 'the stream');
      await bid('cy', auction, 1);
      await bid('cy', auction, 2);
      await until(() => bids.length === 2, 'two bids');

      proxy.cut();
      await until(() => asked === 2, 'the client to reconnect');
      expect(client.state).toBe('connecting');
      await bid('cy', auction, 3); // while it is away
      await bid('cy', auction, 4);
      away.open();
      await until(() => bids.length === 4, 'the bids it missed');
      await bid('cy', auction, 5);
      await until(() => bids.length === 5, 'a live bid');

      expect(bids).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(ids).size).toBe(5);
      expect(proxy.requests).toHaveLength(2);
      expect(headerOf(proxy.requests[0], 'last-event-id')).toBeUndefined();
      expect(headerOf(proxy.requests[1], 'last-event-id')).toBe(ids[1]);
      expect(headerOf(proxy.requests[1], 'authorization')).toMatch(/^Bearer [0-9a-f-]{36}$/);
      expect(proxy.requests[1]).toMatch(new RegExp(`^GET /auctions/${auction} HTTP/1\\.1\r\n`));
      expect(errors.every((kind) => kind === 'network')).toBe(true);
      expect(client.state).toBe('open');
    } finally {
      await proxy.close();
    }
  });

  it('a token that expires: sse-close "expired", a reconnect at once with a fresh token from headers, and no bid lost', async () => {
    const auction = await newAuction('ann');
    const refresh = gate();
    let asked = 0;
    const token = async () => {
      if (++asked === 1) return app.get(Tokens).issue('fay', 1000).token; // expires in a second
      await refresh.wait; // the refresh takes its time
      return tokenOf('fay');
    };
    const bids: number[] = [];
    const client = keep(watchAuction(url, auction, token, (bid) => bids.push(bid.amount)));
    const closes: unknown[] = [];
    client.on('sse-close', (data) => closes.push(data));
    const errors: SseClientError[] = [];
    client.onError((error) => errors.push(error));
    await until(() => broadcaster.clientCount(`auctions/${auction}`) === 1, 'the stream');
    await bid('cy', auction, 10);
    await until(() => asked === 2, 'the expiry and the refresh to start');
    expect(closes).toEqual([{ reason: 'expired' }]);
    await bid('cy', auction, 20); // while the client gets its new token
    refresh.open();
    await until(() => bids.length === 2, 'the bid it missed');
    await bid('cy', auction, 30);
    await until(() => bids.length === 3, 'a live bid');
    expect(bids).toEqual([10, 20, 30]);
    expect(errors).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('a bad token: 401, closed, done rejects with the status and the JSON body, and no retry; an unknown auction: 404', async () => {
    const auction = await newAuction('ann');
    let asked = 0;
    const forged = async () => {
      asked++;
      return 'not-a-token';
    };
    const refused = keep(watchAuction(url, auction, forged, () => undefined));
    const errors: SseClientError[] = [];
    refused.onError((error) => errors.push(error));
    const error = await rejectionOf(refused.done);
    expect(error).toBeInstanceOf(SseClientError);
    expect([error.kind, error.status, error.retryIn]).toEqual(['refused', 401, undefined]);
    expect(error.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Sign in first.' });
    expect(refused.state).toBe('closed');
    expect(errors).toEqual([error]);
    expect(asked).toBe(1);

    const unknown = keep(watchAuction(url, 'no-such-auction', tokenFor(url, 'bob'), () => undefined));
    const missing = await rejectionOf(unknown.done);
    expect([missing.kind, missing.status]).toEqual(['refused', 404]);
    expect(missing.body).toMatchObject({ statusCode: 404, message: 'No auction no-such-auction.' });
  });
});

describe('the client guide’s reference tables', () => {
  /** The first cells (`name`) of the table under the heading `title` in docs/client.md. */
  const rowsUnder = (title: string) => {
    const guide = readFileSync(new URL('../../docs/client.md', import.meta.url), 'utf8');
    const start = guide.indexOf(`\n${title}\n`);
    expect(start).toBeGreaterThan(-1);
    const rows: string[] = [];
    const lines = guide.slice(start).split('\n').slice(2);
    for (const line of lines.slice(lines.findIndex((l) => l.startsWith('|')))) {
      if (!line.startsWith('|')) break;
      const cell = /^\|\s*`([^`]+)`/.exec(line);
      if (cell) rows.push(cell[1]);
    }
    return rows;
  };

  it('the options table lists exactly the options of SseClientOptions', () => {
    // Every key of SseClientOptions, and no other (tsc checks the `satisfies`).
    const options = {
      headers: true,
      method: true,
      body: true,
      credentials: true,
      reconnectUrl: true,
      lastEventId: true,
      share: true,
      retry: true,
      maxRetryDelay: true,
      stallTimeout: true,
      maxEventBytes: true,
      events: true,
      parse: true,
      fetch: true,
    } satisfies Record<keyof SseClientOptions, true>;
    expect(rowsUnder('### `SseClientOptions`').sort()).toEqual(Object.keys(options).sort());
  });

  it('the error table lists exactly the kinds of SseClientError', () => {
    const kinds = {
      refused: true,
      revoked: true,
      protocol: true,
      status: true,
      network: true,
      request: true,
      stalled: true,
      'too-large': true,
      parse: true,
      handler: true,
    } satisfies Record<SseClientErrorKind, true>;
    expect(rowsUnder('### `SseClientError` kinds').sort()).toEqual(Object.keys(kinds).sort());
  });
});
