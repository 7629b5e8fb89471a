import type {
  SseTransport,
  SseTransportHost,
  SseTransportPublish,
  SseTransportRead,
} from './sse-transport.interface.js';

const NOTHING: SseTransportRead = { events: [], lastId: undefined, trimmedUpTo: undefined };

/**
 * The default transport: everything stays in this process. Each channel
 * assigns its own ids (`<epoch>-<n>`) and keeps its history in memory; a
 * publish reaches the channel's clients in the same turn of the event loop.
 * Nothing is subscribed or read.
 *
 * @publicApi
 */
export class MemoryTransport implements SseTransport {
  readonly local = true;
  private host: SseTransportHost | undefined;

  init(host: SseTransportHost): void {
    if (this.host && this.host !== host) {
      throw new Error('This MemoryTransport already serves another application: create one per application.');
    }
    this.host = host;
  }

  publish(request: SseTransportPublish): string {
    if (!this.host) {
      throw new Error('MemoryTransport: publish() before the application started (app.init()).');
    }
    return this.host.publishLocally(request.channel, request.event, request.data, request.id);
  }

  subscribe(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  unsubscribe(): void {}

  read(): Promise<SseTransportRead> {
    return Promise.resolve(NOTHING);
  }

  parseId(): undefined {
    return undefined;
  }

  compareIds(): number {
    return 0;
  }

  close(): void {
    this.host = undefined;
  }
}
