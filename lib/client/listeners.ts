import type { SseEventHandler, SseEventMeta } from './sse-client-options.interface.js';

/** Handlers by event name; a handler that throws is reported and the others still run. */
export class Listeners {
  private readonly byName = new Map<string, Set<SseEventHandler<never>>>();

  constructor(private readonly thrown: (error: unknown, event: string) => void) {}

  /** Adds `handler` for `event`; returns the function that removes it. */
  add(event: string, handler: SseEventHandler<never>): () => void {
    let handlers = this.byName.get(event);
    if (!handlers) {
      handlers = new Set();
      this.byName.set(event, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.byName.get(event) === handlers) {
        this.byName.delete(event);
      }
    };
  }

  emit(event: string, data: unknown, meta: SseEventMeta): void {
    const handlers = this.byName.get(event);
    if (!handlers) {
      return;
    }
    // (A copy: a handler may remove itself or add others.)
    for (const handler of [...handlers]) {
      try {
        (handler as SseEventHandler<unknown>)(data, meta);
      } catch (error) {
        this.thrown(error, event);
      }
    }
  }
}
