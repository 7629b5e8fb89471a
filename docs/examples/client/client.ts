import { SseClient } from 'nestjs-sse-channel/client';
import type { AuctionEvents, Bid } from './bid.js';

/**
 * A function that gives a valid token: it signs in as `name` (POST /tokens
 * here; your app asks its auth provider) and keeps the token until shortly
 * before it expires.
 */
export function tokenFor(baseUrl: string, name: string): () => Promise<string> {
  let current: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (current === undefined || current.expiresAt - Date.now() < 30_000) {
      const response = await fetch(`${baseUrl}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (!response.ok) {
        throw new Error(`Sign-in failed: ${response.status}`);
      }
      current = (await response.json()) as { token: string; expiresAt: number };
    }
    return current.token;
  };
}

/**
 * Watches an auction: `onBid` gets each bid once, in order, across dropped
 * connections, until the seller closes the auction (`client.done` resolves)
 * or the server refuses the stream (`client.done` rejects).
 * Runs in browsers (baseUrl '' for the page's origin) and in Node 20+.
 */
export function watchAuction(baseUrl: string, auctionId: string, token: () => Promise<string>, onBid: (bid: Bid) => void): SseClient<AuctionEvents> {
  const client = new SseClient<AuctionEvents>(`${baseUrl}/auctions/${encodeURIComponent(auctionId)}`, {
    // Asked before every connect and reconnect: a token that expired is replaced.
    headers: async () => ({ Authorization: `Bearer ${await token()}` }),
  });
  // `bid` is a Bid: the frame's JSON, parsed.
  client.on('bid', (bid) => onBid(bid));
  return client;
}
