import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../lib/client/index.ts', import.meta.url));

/**
 * The browser entry of `nestjs-sse-channel/client` (lib/client/index.ts, from
 * its sources, with eventsource-parser) bundled by esbuild as an ES module for
 * browsers — as scripts/check-client-size.mjs measures it, but not minified
 * (a failing test's stack names the real functions). In memory: nothing is
 * written to disk. A test app serves it for its pages to `import()`.
 */
export async function clientBundle(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}
