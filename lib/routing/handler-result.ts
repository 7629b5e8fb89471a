/**
 * What an `@SseChannel()` handler returned, boxed so that Nest passes it to the
 * route's interceptor as it is: Nest would otherwise flatten an Observable into
 * its values, and nothing would tell "join the channel" from a stream.
 */
export class SseHandlerResult {
  constructor(readonly value: unknown) {}
}

/** Wraps a handler so that it returns its result boxed; metadata moves along. */
export function boxHandlerResult<T extends (...args: never[]) => unknown>(handler: T): T {
  const wrapped = function (this: unknown, ...args: Parameters<T>) {
    return new SseHandlerResult(handler.apply(this, args));
  };
  Object.defineProperty(wrapped, 'name', { value: handler.name });
  // Metadata that decorators applied before this one left on the original.
  for (const key of Reflect.getOwnMetadataKeys(handler)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, handler), wrapped);
  }
  return wrapped as unknown as T;
}
