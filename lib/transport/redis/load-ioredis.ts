import * as messages from '../../sse.messages.js';
import { importOptional } from '../../util/import-optional.js';

/** The `ioredis` client class. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IoredisConstructor = new (...args: any[]) => unknown;

/**
 * Loads `ioredis`, an optional peer dependency, or says clearly how to get
 * it when it is not installed.
 */
export async function loadIoredis(): Promise<IoredisConstructor> {
  const loaded = await importOptional<{ Redis?: IoredisConstructor; default?: IoredisConstructor | { Redis?: IoredisConstructor } }>('ioredis');
  if (!loaded) {
    throw new Error(messages.ioredisNotInstalled());
  }
  const Redis =
    loaded.Redis ??
    (typeof loaded.default === 'function' ? loaded.default : loaded.default?.Redis);
  if (typeof Redis !== 'function') {
    throw new Error(messages.ioredisWithoutClient());
  }
  return Redis;
}
