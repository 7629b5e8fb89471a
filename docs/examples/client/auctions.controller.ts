import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, ConflictException, Controller, ForbiddenException, HttpCode, NotFoundException, Param, Post, Req, UseGuards } from '@nestjs/common';
import { SseBroadcaster, SseChannel, channelName } from 'nestjs-sse-channel';
import { TokenGuard, type AuthedRequest } from './auth.js';
import type { Bid } from './bid.js';

interface Auction {
  seller: string;
  highest: number;
  open: boolean;
}

// Every route needs a token, the stream too: no token, no stream (401).
@Controller('auctions')
@UseGuards(TokenGuard)
export class AuctionsController {
  /** In memory here; your database in your app. */
  private readonly auctions = new Map<string, Auction>();

  constructor(private readonly broadcaster: SseBroadcaster) {}

  // POST /auctions: a new auction, sold by the signed-in user: {"id":"…"}.
  @Post()
  create(@Req() request: AuthedRequest) {
    const id = randomUUID();
    this.auctions.set(id, { seller: request.user!.name, highest: 0, open: true });
    return { id };
  }

  // GET /auctions/<id>: the auction's bids so far, then live, as `bid` events;
  // `sse-end` when the seller closes it. 404 for an auction that does not exist.
  @SseChannel(':id', { event: 'bid', from: 'start' })
  watch(@Param('id') id: string): void {
    this.find(id);
  }

  // POST /auctions/<id>/bids {"amount":120}: more than the highest bid. Every watcher gets it.
  @Post(':id/bids')
  async bid(@Param('id') id: string, @Body() body: { amount?: unknown }, @Req() request: AuthedRequest) {
    const auction = this.find(id);
    if (!auction.open) {
      throw new ConflictException('This auction has closed.');
    }
    if (typeof body?.amount !== 'number' || !(body.amount > auction.highest)) {
      throw new BadRequestException(`Bid more than ${auction.highest}.`);
    }
    auction.highest = body.amount;
    const bid: Bid = { from: request.user!.name, amount: body.amount };
    return { id: await this.broadcaster.publish(channelName('auctions/:id', { id }), bid) };
  }

  // POST /auctions/<id>/close: the seller closes it. Every watcher gets the end event,
  // and its client's `done` resolves.
  @Post(':id/close')
  @HttpCode(204)
  async close(@Param('id') id: string, @Req() request: AuthedRequest): Promise<void> {
    const auction = this.find(id);
    if (auction.seller !== request.user!.name) {
      throw new ForbiddenException('Only the seller closes the auction.');
    }
    auction.open = false;
    await this.broadcaster.end(channelName('auctions/:id', { id }));
  }

  private find(id: string): Auction {
    const auction = this.auctions.get(id);
    if (!auction) {
      throw new NotFoundException(`No auction ${id}.`);
    }
    return auction;
  }
}
