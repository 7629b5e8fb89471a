/** Whether a value is a Promise or promise-like (has a `then` method). */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function';
}
