// The browser side: one EventSource for all of the user's channels. The browser
// sends the session cookie, and on a reconnect the last id it got (the cursor).

/** A channel the page shows: its events, and its reset (what it missed is gone: fetch its state again). */
export interface ChannelView {
  show(data: unknown): void;
  reload(): void;
}

export class EventsPage {
  readonly source: EventSource;

  constructor(base = '') {
    this.source = new EventSource(`${base}/events`);
  }

  /** Each frame's event name is its channel ("rooms/7"); a reset of that channel is "rooms/7#sse-reset". */
  listen(channel: string, view: ChannelView): void {
    this.source.addEventListener(channel, (event) => view.show(JSON.parse(event.data)));
    this.source.addEventListener(`${channel}#sse-reset`, () => view.reload());
  }
}
