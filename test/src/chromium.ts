import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`), never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser suites can run here. Without Chromium they are skipped
 * loudly on a developer's machine, and fail in CI, where they must run.
 */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) {
    return true;
  }
  const message = `Chromium not found at ${CHROMIUM}: the browser tests need Debian's "chromium" package (apt-get install -y chromium).`;
  if (process.env.CI) {
    throw new Error(`${message} In CI they must run.`);
  }
  console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPING THE BROWSER TESTS. ${message}\n${'!'.repeat(100)}\n`);
  return false;
}

/** Headless Chromium with the flags this closed network needs (no background connections). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...extraArgs,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}
