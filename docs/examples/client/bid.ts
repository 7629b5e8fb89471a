/** A bid, as the server publishes it and the client receives it: one type for both sides. */
export interface Bid {
  from: string;
  amount: number;
}

/** The events of GET /auctions/:id by name: the type parameter of `SseClient<AuctionEvents>`. */
export type AuctionEvents = { bid: Bid };
