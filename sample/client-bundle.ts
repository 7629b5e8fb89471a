import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The browser bundle of `nestjs-sse-channel/client` that the page imports
 * (`/client.js`), built by esbuild at start-up, in memory — a real app would
 * bundle the client into its own front end instead. `npm run sample` runs the
 * compiled sample: the client as the package ships it (dist/client/, built
 * by `npm run build`); the tests run the sample's sources: the client's
 * sources (lib/client/).
 */
export async function buildClientBundle(): Promise<string> {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = fromSources
    ? fileURLToPath(new URL('../lib/client/index.ts', import.meta.url))
    : createRequire(import.meta.url).resolve('nestjs-sse-channel/client');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: !fromSources,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}
