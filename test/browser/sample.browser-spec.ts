/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { ANSWER } from '../../sample/answers.controller.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import { hasChromium, launchChromium } from '../src/chromium.js';
import { until } from '../src/until.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

(hasChromium() ? describe : describe.skip)('the sample pages in Chromium (/streams: a stream per panel)', () => {
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  const consoleErrors: string[] = [];

  const openPage = async (path = '/') => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    await page.goto(`${url}${path}`);
    return page;
  };
  const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

  beforeAll(async () => {
    app = await createSampleApp({ tickMs: 200, answerTokenMs: 25 }, false);
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    url = url.replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('both clients (EventSource and XHR onprogress) receive ticks with increasing timestamps', async () => {
    const page = await openPage('/streams');
    for (const list of ['#es-log li', '#xhr-log li']) {
      await page.waitForFunction((selector) => document.querySelectorAll(selector).length >= 4, list, { timeout: 10_000 });
    }
    for (const list of ['#es-log li', '#xhr-log li']) {
      // newest first on the page
      const stamps = (await page.locator(list).evaluateAll((items) => items.map((li) => Number((li as HTMLElement).dataset.timestamp)))).reverse();
      expect(stamps.length).toBeGreaterThanOrEqual(4);
      for (let i = 1; i < stamps.length; i++) {
        expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
      }
    }
    await expect(page.locator('#es-state').textContent()).resolves.toBe('open');
    await expect(page.locator('#xhr-state').textContent()).resolves.toBe('open');
    const esIds = await page.locator('#es-log li .id').allTextContents();
    expect(esIds.every((id) => /^[0-9a-z]+-\d+$/.test(id))).toBe(true);
    await page.close();
  });

  it('a chat message posted through the page appears in two open pages', async () => {
    const [alice, bob] = [await openPage('/streams?room=two-pages&user=alice'), await openPage('/streams?room=two-pages&user=bob')];
    await Promise.all([alice, bob].map((page) => page.waitForSelector('#chat-state.open')));
    // Presence: each page sees both people, once each (two streams per page).
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => document.querySelector('#people')?.textContent === 'alice, bob');
    }
    await alice.fill('input[name=text]', 'Hello from Alice');
    await alice.click('#send');
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('Hello from Alice'));
      expect(await texts(page, '#messages li .who')).toEqual(['alice']); // (alice's page: its own, not an echo)
      await page.waitForFunction(() => document.querySelector('#notice-count')?.textContent === '1');
    }
    // Alice's message went to everyone but her: her page shows it once, with the id the server gave.
    expect(await texts(alice, '#messages li .id')).toEqual(await texts(bob, '#messages li .id'));
    await alice.close();
    await bob.waitForFunction(() => document.querySelector('#people')?.textContent === 'bob', undefined, { timeout: 10_000 });
    await bob.close();
  });

  it('after a server-side drop, EventSource reconnects with Last-Event-ID and the page shows the missed messages', async () => {
    const broadcaster = app.get(SseBroadcaster);
    const page = await openPage('/streams?room=drop');
    await page.waitForSelector('#chat-state.open');
    broadcaster.publish('rooms/drop', { user: 'server', text: 'before the drop' });
    await page.waitForFunction(() => document.querySelectorAll('#messages li').length === 1);
    const replayedBefore = broadcaster.stats()['rooms/drop'].replayed;

    broadcaster.channel('rooms/drop').close(); // what a deploy or a proxy restart does
    // published while the page is away (it reconnects after retry: 500 ms)
    for (const text of ['missed 1', 'missed 2', 'missed 3']) {
      broadcaster.publish('rooms/drop', { user: 'server', text });
    }
    await page.waitForFunction(() => document.querySelectorAll('#messages li').length === 4, undefined, { timeout: 10_000 });
    // Both of the page's streams (chat and notifications) are back before the live event:
    // otherwise the later one would get it by replay.
    await until(() => broadcaster.clientCount('rooms/drop') === 2, 'both streams of the page to reconnect');
    broadcaster.publish('rooms/drop', { user: 'server', text: 'live again' });
    await page.waitForFunction(() => document.querySelectorAll('#messages li').length === 5);

    expect(await texts(page, '#messages li .text')).toEqual(['before the drop', 'missed 1', 'missed 2', 'missed 3', 'live again']);
    const ids = await texts(page, '#messages li .id');
    expect(new Set(ids).size).toBe(5);
    expect(await page.locator('#reconnects').textContent()).toBe('1');
    // Both of the page's streams of the channel (chat and notifications) reconnected with
    // Last-Event-ID: the server replayed exactly the 3 missed events to each.
    expect(broadcaster.stats()['rooms/drop'].replayed - replayedBefore).toBe(6);
    expect(await page.locator('#notice-count').textContent()).toBe('5');
    expect(await page.locator('#reset-notice').isVisible()).toBe(false);
    await page.close();
  });

  it('an answer streams token by token; dropped mid-answer it goes on with nothing missing, and after its end the browser stops', async () => {
    const page = await openPage('/streams?room=answer');
    await page.click('#ask');
    await page.waitForFunction(() => Number(document.querySelector('#answer-tokens')?.textContent) >= 5);
    await page.click('#answer-drop');
    await page
      .waitForFunction(() => ['finished', 'done'].includes(document.querySelector('#answer-state')?.textContent ?? ''), undefined, { timeout: 15_000 })
      .catch(async (error) => {
        throw new Error(`${error}: state ${await page.locator('#answer-state').textContent()}, text ${await page.locator('#answer-text').textContent()}`);
      });
    expect(await page.locator('#answer-text').textContent()).toBe(ANSWER);
    expect(Number(await page.locator('#answer-tokens').textContent())).toBe(ANSWER.split(/(?<= )/).length);
    expect(Number(await page.locator('#answer-reconnects').textContent())).toBeGreaterThanOrEqual(1);
    // The response ended after sse-end; the reconnect with its id got 204: EventSource is CLOSED.
    await page.waitForFunction(() => document.querySelector('#answer-state')?.textContent === 'done', undefined, { timeout: 10_000 });
    await page.close();
  });

  it("the client in the sample's page runs an answer: POST /answers starts it, its id comes first, the server drops it mid-answer, it resumes on GET /answers/<id>, and done resolves with every token once", async () => {
    const page = await openPage('/streams');
    const answerStarted = page.evaluate(async () => {
      // The sample serves the browser bundle of nestjs-sse-channel/client at /client.js.
      const clientUrl = '/client.js';
      const { SseClient } = (await import(clientUrl)) as typeof import('../../lib/client/index.js');
      const run = { id: '', tokens: [] as string[], ids: [] as (string | undefined)[], errors: [] as string[], done: undefined as unknown };
      (window as unknown as { run: typeof run }).run = run;
      const client = new SseClient<{ run: { id: string }; token: string }>('/answers', {
        method: 'POST',
        body: { question: 'How does a stream survive a dropped connection?' },
        // Reconnects resume the run: by then its id has arrived, in its first event.
        reconnectUrl: () => `/answers/${run.id}`,
        parse: (data, event) => (event === 'token' ? data : JSON.parse(data)),
      });
      client.on('run', ({ id }) => (run.id = id));
      client.on('token', (token, meta) => {
        run.tokens.push(token);
        run.ids.push(meta.id);
      });
      client.onError((error) => run.errors.push(error.kind));
      run.done = await client.done;
      return run;
    });
    type Run = { id: string; tokens: string[] };
    await page.waitForFunction(() => ((window as unknown as { run?: Run }).run?.tokens.length ?? 0) >= 5, undefined, { timeout: 10_000, polling: 20 });
    const id = await page.evaluate(() => (window as unknown as { run: Run }).run.id);
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    // The server drops the run's streams (the page's own button does this on /streams).
    const dropped = await fetch(`${url}/answers/${id}/drop`, { method: 'POST' });
    expect(dropped.status).toBe(204);
    const resume = await page.waitForRequest((request) => new URL(request.url()).pathname === `/answers/${id}`, { timeout: 10_000 });
    const run = await answerStarted;
    expect(run.tokens.join('')).toBe(ANSWER);
    expect(run.tokens).toHaveLength(ANSWER.split(/(?<= )/).length);
    expect(new Set(run.ids).size).toBe(run.tokens.length);
    expect(run.done).toEqual({ channel: `answers/${id}`, reason: 'complete' });
    expect(run.errors).toEqual([]);
    expect(resume.method()).toBe('GET');
    expect(run.ids).toContain(await resume.headerValue('last-event-id'));
    await page.close();
  });

  it("the page at / in someone else's private room: the client's done rejects with the 403 and its message, shown; it does not try again", async () => {
    const page = await openPage('/?room=private-bob&user=alice');
    await page.waitForSelector('#stream-state.closed', { timeout: 10_000 });
    expect(await page.locator('#stream-notice').textContent()).toBe('The server refused the stream (403): The room "private-bob" is not yours.');
    expect(await page.locator('#stream-notice').isVisible()).toBe(true);
    // Chromium logs the refused response itself; the page adds nothing.
    const refused = consoleErrors.filter((line) => line.startsWith(page.url()));
    expect(refused).toEqual([`${page.url()}: Failed to load resource: the server responded with a status of 403 (Forbidden)`]);
    consoleErrors.splice(consoleErrors.indexOf(refused[0]), 1);
    // One request: a refusal is final.
    const requests = () => page.evaluate(() => performance.getEntriesByType('resource').filter((entry) => new URL(entry.name).pathname === '/events').length);
    expect(await requests()).toBe(1);
    await page.waitForTimeout(700); // past the route's retry: 500 ms
    expect(await requests()).toBe(1);
    await page.close();
  });

  it('the page at / (one stream for every panel) shows no console errors, and looks right (screenshot saved as a test artifact)', async () => {
    const page = await openPage('/?room=lobby&user=ada');
    await page.waitForSelector('#chat-state.open');
    await page.fill('input[name=text]', 'Ticks above, chat here: one channel, many clients.');
    await page.click('#send');
    await page.waitForFunction(() => document.querySelectorAll('#es-log li').length >= 5 && document.querySelectorAll('#messages li').length >= 1);
    await page.click('#ask');
    await page.waitForFunction(() => Number(document.querySelector('#answer-tokens')?.textContent) >= 12);
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'sample.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(20_000);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
