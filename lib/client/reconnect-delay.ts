/**
 * How long to wait before the next attempt: exactly `retry` after a stream
 * that delivered events and ended normally; after `failures` failed attempts
 * in a row (≥ 1), a random delay between half and all of
 * `retry × 2^(failures − 1)`, capped at `cap` — so that clients cut at once
 * do not come back at once, and a server that keeps failing is asked less
 * and less often.
 */
export function reconnectDelay(retry: number, failures: number, cap: number, random: () => number = Math.random): number {
  const base = Math.min(retry, cap);
  if (failures <= 0) {
    return base;
  }
  // (From 1 ms at least: a server's `retry: 0` must not make failures a busy loop.
  // 2 ** 40 and beyond: the cap holds long before.)
  const ceiling = Math.min(cap, Math.max(base, 1) * 2 ** Math.min(failures - 1, 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * `Retry-After` in ms — delay-seconds or an HTTP date — plus up to 10 % at
 * random (a crowd refused at once does not come back at once); `undefined`
 * when absent or unreadable.
 */
export function retryAfterDelay(header: string | null, now = Date.now(), random: () => number = Math.random): number | undefined {
  const value = header?.trim();
  if (!value) {
    return undefined;
  }
  let ms: number;
  if (/^\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else {
    // An HTTP date starts with the day's name (Date.parse alone takes '1.5' for a date).
    const date = /^[a-z]{3}/i.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(date)) {
      return undefined;
    }
    ms = Math.max(0, date - now);
  }
  return Math.round(ms + random() * ms * 0.1);
}
