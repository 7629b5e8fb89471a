/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { SseBroadcaster } from '../../lib/index.js';
import { hasChromium, launchChromium } from '../src/chromium.js';
import { createH2App, type H2App } from '../src/h2-app.js';
import { selfSignedCertificate } from '../src/tls.js';
import { until } from '../src/until.js';

const STREAMS = 10;

declare global {
  interface Window {
    got: string[][];
    states: () => number[];
  }
}

/** Opens `count` EventSources on the page, one channel each, recording what they receive. */
async function openEventSources(page: Page, count: number): Promise<void> {
  await page.evaluate((count) => {
    window.got = [];
    const sources: EventSource[] = [];
    for (let i = 0; i < count; i++) {
      const got: string[] = [];
      window.got.push(got);
      const source = new EventSource(`/h2/stream/t${i}`);
      source.onmessage = (event) => got.push(event.data);
      sources.push(source);
    }
    window.states = () => sources.map((source) => source.readyState);
  }, count);
}

const connected = (app: H2App) => {
  const broadcaster = app.app.get(SseBroadcaster);
  return () => Array.from({ length: STREAMS }, (_, i) => broadcaster.clientCount(`h2/t${i}`)).reduce((a, b) => a + b, 0);
};

const publishToAll = (app: H2App, data: string) =>
  Promise.all(Array.from({ length: STREAMS }, (_, i) => app.app.get(SseBroadcaster).publish(`h2/t${i}`, data)));

(hasChromium() ? describe : describe.skip)('HTTP/2 in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(['--ignore-certificate-errors']);
  });
  afterAll(() => browser?.close());

  it(`over TLS HTTP/2 one page's ${STREAMS} EventSources to one origin all receive events`, async () => {
    const app = await createH2App({ tls: await selfSignedCertificate() });
    const page = await browser.newPage();
    try {
      await page.goto(`${app.url}/h2/page`);
      expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('h2');
      await openEventSources(page, STREAMS);
      await until(() => connected(app)() === STREAMS, `${STREAMS} streams`, 10_000);
      await publishToAll(app, 'over h2');
      await page.waitForFunction(() => window.got.every((got) => got.includes('over h2')), undefined, { timeout: 10_000 });
      expect(await page.evaluate(() => window.states())).toEqual(Array(STREAMS).fill(1)); // OPEN
    } finally {
      await page.close();
      await app.close();
    }
  });

  it('after app.close() (a deploy) the EventSources keep trying, and the next instance gets them back — no 503 makes them give up', async () => {
    const tls = await selfSignedCertificate();
    const first = await createH2App({ tls, retry: 100 });
    const page = await browser.newPage();
    let next: H2App | undefined;
    try {
      await page.goto(`${first.url}/h2/page`);
      await openEventSources(page, STREAMS);
      await until(() => connected(first)() === STREAMS, `${STREAMS} streams`, 10_000);
      await first.close();
      // Reconnecting against a server that is gone: CONNECTING, never CLOSED.
      await page.waitForFunction(() => window.states().every((state) => state === 0), undefined, { timeout: 10_000 });
      next = await createH2App({ tls, port: first.port, retry: 100 });
      await until(() => connected(next!)() === STREAMS, 'every EventSource to come back', 15_000);
      await publishToAll(next, 'after the deploy');
      await page.waitForFunction(() => window.got.every((got) => got.includes('after the deploy')), undefined, { timeout: 10_000 });
      expect(await page.evaluate(() => window.states())).toEqual(Array(STREAMS).fill(1));
    } finally {
      await page.close();
      await next?.close();
    }
  });

  it('over HTTP/1.1 the same page gets 6 streams: the 7th waits for a connection', async () => {
    const app = await createH2App({ http2: false });
    const page = await browser.newPage();
    try {
      await page.goto(`${app.url}/h2/page`);
      expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('http/1.1');
      await openEventSources(page, STREAMS);
      await until(() => connected(app)() === 6, '6 streams', 10_000);
      await publishToAll(app, 'over http/1.1');
      // Once the 6 open ones have this event, the others had all that time to connect.
      await page.waitForFunction(() => window.got.filter((got) => got.includes('over http/1.1')).length === 6, undefined, { timeout: 10_000 });
      const states = await page.evaluate(() => window.states());
      expect(states.filter((state) => state === 1)).toHaveLength(6); // OPEN
      expect(states.filter((state) => state === 0)).toHaveLength(STREAMS - 6); // CONNECTING: stalled
      expect(connected(app)()).toBe(6);
    } finally {
      await page.close();
      await app.close();
    }
  });
});
