import * as messages from '../../sse.messages.js';
import { importOptional } from '../../util/import-optional.js';

/** An `ioredis` client class (`Redis` or `Cluster`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IoredisConstructor = new (...args: any[]) => unknown;

/**
 * Loads `ioredis`, an optional peer dependency, or says clearly how to get
 * it when it is not installed.
 */
export async function loadIoredis(which: 'Redis' | 'Cluster' = 'Redis'): Promise<IoredisConstructor> {
  type Classes = { Redis?: IoredisConstructor; Cluster?: IoredisConstructor };
  const loaded = await importOptional<Classes & { default?: IoredisConstructor & Classes }>('ioredis');
  if (!loaded) {
    throw new Error(messages.ioredisNotInstalled());
  }
  const found = loaded[which] ?? loaded.default?.[which] ?? (which === 'Redis' && typeof loaded.default === 'function' ? loaded.default : undefined);
  if (typeof found !== 'function') {
    throw new Error(messages.ioredisWithoutClient());
  }
  return found;
}
