/// <reference lib="dom" />
import { Controller, Get, Header } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { hasChromium, launchChromium } from '../src/chromium.js';
import { createTestApp, type TestApp } from '../src/create-app.js';
import { ACCEPTED_IDS, roundTripIds, type SeenEvent } from '../src/id-round-trip.js';

@Controller()
class RoundTripController {
  /** A page of the app's own origin for the EventSources to run in. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return '<!doctype html><title>ids</title>';
  }

  @SseChannel('rt/:worker', { retry: 5 })
  stream(): void {}
}

/** Chromium allows 6 connections per host on HTTP/1.1: 5 streams leave one for the rest. */
const WORKERS = 5;

declare global {
  interface Window {
    seen: SeenEvent[][];
  }
}

(hasChromium() ? describe : describe.skip)("ids that come back intact through Chromium's EventSource", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await createTestApp('express', { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [RoundTripController] });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(t.url);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it(`every id the rule accepts (${ACCEPTED_IDS.length} kinds) resumes exactly after a reconnect`, async () => {
    await page.evaluate((workers) => {
      window.seen = [];
      for (let w = 0; w < workers; w++) {
        const events: SeenEvent[] = [];
        window.seen.push(events);
        const source = new EventSource(`/rt/${w}`);
        for (const type of ['message', 'sse-reset']) {
          source.addEventListener(type, (e) => {
            const message = e as MessageEvent<string>;
            events.push({ type, data: message.data, lastEventId: message.lastEventId });
          });
        }
      }
    }, WORKERS);
    await roundTripIds(
      t.app.get(SseBroadcaster),
      {
        waitFor: async (w, data) => {
          await page.waitForFunction(([w, data]) => window.seen[w].some((e) => e.data === data), [w, data] as const, {
            timeout: 10_000,
          });
        },
        events: (w) => page.evaluate((w) => window.seen[w], w),
      },
      { workers: WORKERS, prefix: 'rt/' },
    );
  });
});
