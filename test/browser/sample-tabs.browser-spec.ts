/// <reference lib="dom" />
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
 * for the pages' POSTs even while all three stream an answer.
 */
(hasChromium() ? describe : describe.skip)('the sample page in three tabs of one browser (HTTP/1.1)', () => {
  let app: INestApplication;
  let broadcaster: SseBroadcaster;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let tabs: Page[];
  const consoleErrors: string[] = [];

  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
  /** Waits, bounded, until the page's condition holds; fails saying what it waited for. */
  const waitIn = async (page: Page, what: string, condition: (arg: string) => boolean, arg = '', timeout = 10_000) => {
    await page.waitForFunction(condition, arg, { timeout }).catch((error: unknown) => {
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
    browser = await launchChromium();
    // One context: one browser profile, whose tabs share the 6 connections per origin.
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    tabs = [];
    for (const user of USERS) {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
      await page.goto(`${url}/?room=${ROOM}&user=${user}`);
      tabs.push(page);
    }
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
  });

  it('each tab opens one stream, over HTTP/1.1, and its ticker, who is here and chat work in every tab', async () => {
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
    // The server cuts bob's stream; these are published before his browser is back (retry: 500 ms).
    void broadcaster.disconnect('bob');
    for (const missed of ['missed 1', 'missed 2', 'missed 3']) {
      void broadcaster.publish(`rooms/${ROOM}`, { user: 'alice', text: missed, at: Date.now() });
    }
    await waitIn(bob, 'the reconnect', () => document.querySelector('#reconnects')?.textContent === '1');
    await hasMessage(bob, 'missed 3');
    await post(alice, 'live again');
    for (const page of [bob, carol]) {
      await hasMessage(page, 'live again');
      const messages = await texts(page, '#messages li .text');
      expect(messages.slice(before)).toEqual(['missed 1', 'missed 2', 'missed 3', 'live again']);
      const ids = await texts(page, '#messages li .id');
      expect(new Set(ids).size).toBe(ids.length);
    }
    // The ticker resumed from the same cursor: every tick once, none missing across the cut.
    await waitIn(bob, 'ticks after the reconnect', () => document.querySelectorAll('#es-log li').length >= 12);
    const ticks = await tickNumbers(bob);
    ticks.slice(1).forEach((n, i) => expect(n).toBe(ticks[i] + 1));
    expect(await text(bob, '#people')).toBe('alice, bob, carol');
    expect(await text(alice, '#reconnects')).toBe('0');
    expect(await bob.locator('#reset-notice').isVisible()).toBe(false);

    await until(() => broadcaster.totals().streams === 3, 'three streams again');
  });

  it("the page's drop button drops that tab's stream only — the user's other tab streams on — and the tab resumes exactly where it was", async () => {
    const [alice, , carol] = tabs;
    // carol in a second tab: two streams of one identity.
    const second = await context.newPage();
    second.on('pageerror', (error) => consoleErrors.push(`${second.url()}: ${error.message}`));
    await second.goto(`${url}/?room=${ROOM}&user=carol`);
    await second.waitForSelector('#stream-state.open', { timeout: 10_000 });
    await until(() => broadcaster.totals().streams === 4, 'carol\'s second stream');
    const before = (await texts(carol, '#messages li .text')).length;

    await carol.click('#drop');
    // The tab closed its stream and opens a new one half a second later: what is published meanwhile, it has missed.
    await until(() => broadcaster.totals().streams === 3, 'the dropped tab\'s stream to close');
    for (const missed of ['away 1', 'away 2']) {
      void broadcaster.publish(`rooms/${ROOM}`, { user: 'alice', text: missed, at: Date.now() });
    }
    await waitIn(carol, 'the reopened stream', () => document.querySelector('#reconnects')?.textContent === '1');
    await carol.waitForSelector('#stream-state.open');
    await post(alice, 'after the button');
    for (const page of [carol, second]) {
      await hasMessage(page, 'after the button');
    }
    // The dropped tab: what it missed once, in order, then live; and every tick once across the gap.
    expect((await texts(carol, '#messages li .text')).slice(before)).toEqual(['away 1', 'away 2', 'after the button']);
    await waitIn(carol, 'ticks after the reopen', () => document.querySelectorAll('#es-log li').length >= 20);
    const ticks = await tickNumbers(carol);
    ticks.slice(1).forEach((n, i) => expect(n).toBe(ticks[i] + 1));
    // The other tab of the same user kept its stream: no reconnect, and it got everything live.
    expect(await text(second, '#reconnects')).toBe('0');
    expect(await text(second, '#stream-state')).toBe('open');
    expect((await texts(second, '#messages li .text')).slice(-3)).toEqual(['away 1', 'away 2', 'after the button']);
    await until(() => broadcaster.totals().streams === 4, 'both of carol\'s streams');
    await second.close();
    await until(() => broadcaster.totals().streams === 3, 'three streams again');
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
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
