import * as messages from '../sse.messages.js';

/**
 * Throws for a key of `options` that is not in `known` (a typo would
 * otherwise be ignored silently); the message names the key and lists the
 * known ones. The one unknown-key check of the library.
 */
export function assertKnownKeys(
  where: string,
  options: object,
  known: readonly string[],
  error: (message: string) => Error = (message) => new Error(message),
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw error(messages.unknownOption(where, key, known));
    }
  }
}
