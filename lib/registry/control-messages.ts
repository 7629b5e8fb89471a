import { randomBytes } from 'node:crypto';

/** A control message between instances, e.g. `{ type: 'disconnect', identity }`. */
export type ControlMessage = Record<string, unknown>;

/**
 * Messages to every other instance of the application (through the shared
 * transport; in memory there are none), each tagged with its sender so that
 * an instance does not act on its own.
 */
export class ControlMessages {
  private readonly instance = randomBytes(8).toString('hex');
  private handler: ((message: ControlMessage) => void) | undefined;

  constructor(private readonly send_: ((text: string) => Promise<void>) | undefined) {}

  send(message: ControlMessage): Promise<void> {
    return this.send_ ? this.send_(JSON.stringify({ ...message, origin: this.instance })) : Promise.resolve();
  }

  /** Who acts on other instances' messages. */
  onMessage(handler: (message: ControlMessage) => void): void {
    this.handler = handler;
  }

  /** A message from the transport (any instance's, this one's included). */
  readonly receive = (text: string): void => {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (message.origin !== this.instance) {
      this.handler?.(message);
    }
  };
}
