import * as messages from '../../sse.messages.js';
/** The `ioredis` client class. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IoredisConstructor = new (...args: any[]) => unknown;

/** Where `ioredis` is imported from (a variable, so that TypeScript does not need it installed). */
const IOREDIS = 'ioredis';

/**
 * Loads `ioredis`, an optional peer dependency, or says clearly how to get
 * it when it is not installed.
 */
export async function loadIoredis(): Promise<IoredisConstructor> {
  let loaded: { Redis?: IoredisConstructor; default?: IoredisConstructor | { Redis?: IoredisConstructor } };
  try {
    loaded = await import(IOREDIS);
  } catch (error) {
    const code = (error as { code?: string })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        'RedisTransport needs the package "ioredis" (v5 or v6), an optional peer dependency of nestjs-sse-channel that is not installed. Run: npm install ioredis',
      );
    }
    throw error;
  }
  const Redis =
    loaded.Redis ??
    (typeof loaded.default === 'function' ? loaded.default : loaded.default?.Redis);
  if (typeof Redis !== 'function') {
    throw new Error(messages.ioredisWithoutClient());
  }
  return Redis;
}
