/**
 * A place for one stream under `maxClients`, taken before the route's handler
 * runs and given back exactly once: when the stream ends, or when the request
 * ends without one (an error, a HEAD request, a client gone early).
 */
export class StreamSlot {
  private held = true;

  constructor(private readonly onRelease: () => void) {}

  release(): void {
    if (this.held) {
      this.held = false;
      this.onRelease();
    }
  }
}
