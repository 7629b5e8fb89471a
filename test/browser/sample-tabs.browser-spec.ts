/// <reference lib="dom" />
import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { ANSWER } from '../../sample/answers.controller.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import { hasChromium, launchChromium } from '../src/chromium.js';
import { until } from '../src/until.js';

const ROOM = 'tabs';
const USERS = ['alice', 'bob', 'carol'] as const;
/** A frame's id on the page's one stream: `<sequence epoch>.<position>`. */
const CURSOR = /^[0-9a-z]+\.[0-9a-z]+$/;

/**
 * Issue 21: a browser on HTTP/1.1 opens at most 6 connections per origin
 * across its tabs. The sample's page carries every panel on one stream, so
 * three tabs of one browser hold 3 and every panel of each works — with room
 * for the pages' POSTs even while all three stream an answer. Issue 23: the
 * page's stream is `nestjs-sse-channel/client` with `share: 'tabs'`, so the
 * tabs of one user in one room hold one connection between them.
 */
(hasChromium() ? describe : describe.skip)('the sample page in three tabs of one browser (HTTP/1.1)', () => {
  let app: INestApplication;
  let broadcaster: SseBroadcaster;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let tabs: Page[];
  const consoleErrors: string[] = [];
  /** The /events requests each tab made itself (Playwright sees each page's requests). */
  const streamRequests = new Map<Page, Request[]>();
  /** The requests the server got, with their sockets (to cut one as a proxy would). */
  const served: { url: string; socket: Socket }[] = [];

  /** Opens the page in a tab of the context, recording its errors and its /events requests. */
  const openTab = async (user: string) => {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    const made: Request[] = [];
    streamRequests.set(page, made);
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/events' && request.method() === 'GET') made.push(request);
    });
    await page.goto(`${url}/?room=${ROOM}&user=${user}`);
    return page;
  };
  /** Destroys the socket of `user`'s stream on the server: the connection breaks, as when a proxy dies. */
  const cut = (user: string) => {
    const stream = served.findLast((request) => request.url.startsWith('/events?') && request.url.includes(`user=${user}`));
    expect(stream).toBeDefined();
    stream!.socket.destroy();
  };

  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
  /**
   * Waits, bounded, until the page's condition holds; fails saying what it waited for. (Polled on a
   * timer: the default, requestAnimationFrame, barely runs in the tabs that are not in front.)
   */
  const waitIn = async (page: Page, what: string, condition: (arg: string) => boolean, arg = '', timeout = 10_000) => {
    await page.waitForFunction(condition, arg, { timeout, polling: 20 }).catch((error: unknown) => {
      throw new Error(`${page.url()}: ${what}: ${String(error)}`);
    });
  };
  const hasMessage = (page: Page, message: string) =>
    waitIn(page, `the message "${message}"`, (m) => [...document.querySelectorAll('#messages li .text')].some((li) => li.textContent === m), message);
  const post = async (page: Page, message: string) => {
    await page.fill('input[name=text]', message);
    await page.click('#send');
    await hasMessage(page, message);
  };
  /** The tick numbers of a tab's log, oldest first. */
  const tickNumbers = async (page: Page) =>
    (await texts(page, '#es-log li')).map((line) => Number(/Tick #(\d+)/.exec(line)?.[1])).reverse();

  beforeAll(async () => {
    app = await createSampleApp({ tickMs: 200, answerTokenMs: 40 }, false);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
    broadcaster = app.get(SseBroadcaster);
    (app.getHttpServer() as Server).prependListener('request', (request: IncomingMessage) => served.push({ url: request.url ?? '', socket: request.socket }));
    browser = await launchChromium();
    // One context: one browser profile, whose tabs share the 6 connections per origin (and Web Locks, BroadcastChannels).
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    tabs = [];
    for (const user of USERS) {
      tabs.push(await openTab(user));
    }
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
  });

  it('each user\'s tab opens one stream, over HTTP/1.1, and its ticker, who is here and chat work in every tab', async () => {
    await Promise.all(tabs.map((page) => page.waitForSelector('#stream-state.open', { timeout: 10_000 })));
    for (const page of tabs) {
      const protocol = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
      expect(protocol).toBe('http/1.1');
    }
    // One stream per tab: three, whatever the panels.
    await until(() => broadcaster.totals().streams === 3, 'one stream per tab');
    expect(broadcaster.clientCount('ticker')).toBe(3);
    expect(broadcaster.clientCount(`rooms/${ROOM}`)).toBe(3);

    for (const page of tabs) {
      await waitIn(page, 'ticks', () => document.querySelectorAll('#es-log li').length >= 3);
      const ids = await texts(page, '#es-log li .id');
      expect(ids.every((id) => CURSOR.test(id))).toBe(true);
      const ticks = await tickNumbers(page);
      ticks.slice(1).forEach((n, i) => expect(n).toBe(ticks[i] + 1));
      await waitIn(page, 'everyone here', () => document.querySelector('#people')?.textContent === 'alice, bob, carol');
    }

    const [alice, bob, carol] = tabs;
    await post(alice, 'Hello from tab 1');
    for (const page of [bob, carol]) {
      await hasMessage(page, 'Hello from tab 1');
      expect(await texts(page, '#messages li .who')).toEqual(['alice']);
      expect(await text(page, '#notice-count')).toBe('1');
    }
    // The handler authorizes: a private room is its owner's only, before any byte.
    expect((await fetch(`${url}/events?room=private-bob&user=alice`)).status).toBe(403);
    expect((await fetch(`${url}/events?room=lobby`)).status).toBe(400);
    // Sent to everyone but alice: her tab shows it once, as sent.
    expect(await texts(alice, '#messages li .text')).toEqual(['Hello from tab 1']);
    expect(await texts(alice, '#messages li .id')).toEqual(['sent']);
    expect(await texts(bob, '#messages li .id')).toEqual(await texts(carol, '#messages li .id'));
  });

  it('a stream the server cuts comes back with its cursor: what was posted meanwhile arrives once, and no tick is lost', async () => {
    const [alice, bob, carol] = tabs;
    const before = (await texts(bob, '#messages li .text')).length;
    // bob's connection breaks; these are published before his client is back (after a backoff from retry: 500 ms).
    cut('bob');
    for (const missed of ['missed 1', 'missed 2', 'missed 3']) {
      void broadcaster.publish(`rooms/${ROOM}`, { user: 'alice', text: missed, at: Date.now() });
    }
    await waitIn(bob, 'the reconnect', () => document.querySelector('#reconnects')?.textContent === '1');
    await hasMessage(bob, 'missed 3');
    // Chromium logs the broken response (the page itself reports nothing: the client retried).
    const broken = `${bob.url()}: Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING`;
    await until(() => consoleErrors.includes(broken), 'the broken response in the console');
    consoleErrors.splice(consoleErrors.indexOf(broken), 1);
    await post(alice, 'live again');
    for (const page of [bob, carol]) {
      await hasMessage(page, 'live again');
      const messages = await texts(page, '#messages li .text');
      expect(messages.slice(before)).toEqual(['missed 1', 'missed 2', 'missed 3', 'live again']);
      const ids = await texts(page, '#messages li .id');
      expect(new Set(ids).size).toBe(ids.length);
    }
    // The resume sent the last id bob's tab had seen.
    const [, resume] = streamRequests.get(bob)!;
    expect(await resume.headerValue('last-event-id')).toMatch(CURSOR);
    // The ticker resumed from the same cursor: every tick once, none missing across the cut.
    await waitIn(bob, 'ticks after the reconnect', () => document.querySelectorAll('#es-log li').length >= 12);
    const ticks = await tickNumbers(bob);
    ticks.slice(1).forEach((n, i) => expect(n).toBe(ticks[i] + 1));
    expect(await text(bob, '#people')).toBe('alice, bob, carol');
    expect(await text(alice, '#reconnects')).toBe('0');
    expect(await bob.locator('#reset-notice').isVisible()).toBe(false);

    await until(() => broadcaster.totals().streams === 3, 'three streams again');
  });

  it("a second tab of a user shares her stream; its drop button makes the shared connection resume from its cursor: both tabs get what was missed once, and no tick is lost", async () => {
    const [alice, bob, carol] = tabs;
    // carol in a second tab: the same URL, so the same stream — no second connection.
    const second = await openTab('carol');
    await second.waitForSelector('#stream-state.open', { timeout: 10_000 });
    await waitIn(second, 'the first ticks', () => document.querySelectorAll('#es-log li').length >= 3);
    expect(broadcaster.totals().streams).toBe(3);
    expect(broadcaster.clientCount(`rooms/${ROOM}`)).toBe(3);
    expect(streamRequests.get(second)).toEqual([]);
    await waitIn(second, 'everyone here', () => document.querySelector('#people')?.textContent === 'alice, bob, carol');
    const before = (await texts(carol, '#messages li .text')).length;

    // carol's first tab holds the connection: its next request is held until the test lets it go,
    // so that what is published meanwhile is missed, and must be replayed.
    let release!: () => void;
    let requested!: () => void;
    const held = new Promise<void>((resolve) => (requested = resolve));
    let continued!: Promise<void>;
    await carol.route(/\/events\?/, (route) => {
      continued = new Promise<void>((resolve) => {
        release = resolve;
        requested();
      }).then(() => route.continue());
    });
    await second.click('#drop');
    await held;
    await until(() => broadcaster.totals().streams === 2, "carol's stream to close");
    for (const missed of ['away 1', 'away 2']) {
      await broadcaster.publish(`rooms/${ROOM}`, { user: 'alice', text: missed, at: Date.now() });
    }
    const ticked = broadcaster.stats().ticker.published;
    await until(() => broadcaster.stats().ticker.published >= ticked + 3, 'three ticks while carol is away');
    release();
    await continued;
    await carol.unroute(/\/events\?/);
    for (const page of [carol, second]) {
      await waitIn(page, 'the reopened stream', () => document.querySelector('#reconnects')?.textContent === '1');
      await page.waitForSelector('#stream-state.open');
    }
    await until(() => broadcaster.totals().streams === 3, 'three streams again');
    await post(alice, 'after the button');
    for (const page of [carol, second]) {
      await hasMessage(page, 'after the button');
      // What it missed once, in order, then live; and every tick once across the gap.
      expect((await texts(page, '#messages li .text')).slice(-3)).toEqual(['away 1', 'away 2', 'after the button']);
      await waitIn(page, 'ticks after the reopen', () => document.querySelectorAll('#es-log li').length >= 20);
      const ticks = await tickNumbers(page);
      ticks.slice(1).forEach((n, i) => expect(n).toBe(ticks[i] + 1));
    }
    expect((await texts(carol, '#messages li .text')).slice(before)).toEqual(['away 1', 'away 2', 'after the button']);
    // carol's first tab made the requests: the one of the page, and the resume with the cursor; the second tab none.
    const made = streamRequests.get(carol)!;
    expect(await made[made.length - 1].headerValue('last-event-id')).toMatch(CURSOR);
    expect(streamRequests.get(second)).toEqual([]);
    // The other users' streams went on.
    expect(await text(alice, '#reconnects')).toBe('0');
    expect(await text(bob, '#reconnects')).toBe('1');
    await second.close();
    expect(broadcaster.totals().streams).toBe(3);
  });

  it('three answers stream at once on the tabs\' own streams, one cut mid-answer, while the tabs still post', async () => {
    const [alice, bob, carol] = tabs;
    await Promise.all(tabs.map((page) => page.click('#ask')));
    for (const page of tabs) {
      await waitIn(page, 'the first tokens', () => Number(document.querySelector('#answer-tokens')?.textContent) >= 3);
    }
    // Still one stream per tab: the runs came on them (subscribe()).
    expect(broadcaster.totals().streams).toBe(3);
    await waitIn(alice, 'the drop button', () => !(document.querySelector('#answer-drop') as HTMLButtonElement).disabled);
    // (In front: a click waits for the button to be stable, over animation frames.)
    await alice.bringToFront();
    await alice.click('#answer-drop');
    // The tabs' POSTs go through while all three stream.
    await post(bob, 'during the answers');
    await hasMessage(alice, 'during the answers');
    await hasMessage(carol, 'during the answers');
    for (const page of tabs) {
      await waitIn(page, 'the end of the answer', () => document.querySelector('#answer-state')?.textContent === 'finished', '', 20_000);
      expect(await text(page, '#answer-text')).toBe(ANSWER);
      expect(Number(await text(page, '#answer-tokens'))).toBe(ANSWER.split(/(?<= )/).length);
    }
    expect(Number(await text(alice, '#answer-reconnects'))).toBe(1);
    expect(await text(alice, '#stream-state')).toBe('open');
    // The runs left the streams, which go on.
    await until(() => broadcaster.totals().streams === 3, 'the streams going on');
    await post(carol, 'after the answers');
    await hasMessage(alice, 'after the answers');
    await hasMessage(bob, 'after the answers');
  }, 60_000);

  it("three tabs of one user in one room hold one stream; when the tab that holds it closes, another takes over, and each tab gets every tick and message once", async () => {
    const [alice] = tabs;
    const dave = [await openTab('dave')];
    await dave[0].waitForSelector('#stream-state.open', { timeout: 10_000 });
    dave.push(await openTab('dave'), await openTab('dave'));
    for (const page of dave) {
      await page.waitForSelector('#stream-state.open', { timeout: 10_000 });
      await waitIn(page, 'everyone here', () => document.querySelector('#people')?.textContent === 'alice, bob, carol, dave');
    }
    // Three tabs, one more stream: the first tab connected; the others share it.
    expect(broadcaster.totals().streams).toBe(4);
    expect(broadcaster.clientCount(`rooms/${ROOM}`)).toBe(4);
    expect(dave.map((page) => streamRequests.get(page)!.length)).toEqual([1, 0, 0]);
    await post(alice, 'hello dave');

    const [leader, ...others] = dave;
    await leader.close();
    await until(() => others.some((page) => streamRequests.get(page)!.length === 1), 'another tab of dave to connect');
    await until(() => broadcaster.totals().streams === 4, 'dave\'s stream again');
    await post(alice, 'still there, dave?');
    for (const page of others) {
      await hasMessage(page, 'still there, dave?');
      expect(await texts(page, '#messages li .text')).toEqual(['hello dave', 'still there, dave?']);
      await waitIn(page, 'ticks after the take-over', () => document.querySelectorAll('#es-log li').length >= 25);
      const ticks = await tickNumbers(page);
      ticks.slice(1).forEach((n, i) => expect(n).toBe(ticks[i] + 1));
      // The take-over is the stream going on: no reconnect to show, and dave still here.
      expect(await text(page, '#stream-state')).toBe('open');
      expect(await text(page, '#people')).toBe('alice, bob, carol, dave');
    }
    expect(others.map((page) => streamRequests.get(page)!.length).sort()).toEqual([0, 1]);
    const [takeover] = others.flatMap((page) => streamRequests.get(page)!);
    expect(await takeover.headerValue('last-event-id')).toMatch(CURSOR);
    expect(consoleErrors).toEqual([]);
  });
});
