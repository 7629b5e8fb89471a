/**
 * A place for one stream under the caps (`maxClients`, and the identity's),
 * taken before the route's handler runs. The stream's session holds it while
 * the stream is open and gives it back when it closes; a request that ends
 * without a stream (an error, a HEAD request, a client gone early, shutdown)
 * gives it back itself. Given back exactly once.
 */
export class StreamSlot {
  private state: 'reserved' | 'open' | 'released' = 'reserved';

  constructor(private readonly onRelease: () => void) {}

  /** The stream opened: the place is its session's until it closes. */
  open(): void {
    if (this.state === 'reserved') {
      this.state = 'open';
    }
  }

  /** The request is over: gives the place back unless a stream holds it. */
  releaseUnlessOpen(): void {
    if (this.state === 'reserved') {
      this.release();
    }
  }

  /** Gives the place back (once). */
  release(): void {
    if (this.state !== 'released') {
      this.state = 'released';
      this.onRelease();
    }
  }
}
