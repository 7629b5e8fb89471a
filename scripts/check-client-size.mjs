// `npm run test:client-size`: the browser entry of `nestjs-sse-channel/client`
// (lib/client/index.ts with eventsource-parser, its one dependency) bundled
// and minified by esbuild for browsers, then gzipped; fails above the budget
// of issue 23. Writes nothing to disk: the bundle stays in memory.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET = 6 * 1024;
const entry = fileURLToPath(new URL('../lib/client/index.ts', import.meta.url));

const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  legalComments: 'none',
  logLevel: 'error',
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
const verdict = gzipped <= BUDGET ? 'within' : 'OVER';
console.log(`nestjs-sse-channel/client: ${code.length} bytes minified, ${gzipped} bytes min+gzip — ${verdict} the budget of ${BUDGET} bytes`);
process.exit(gzipped <= BUDGET ? 0 : 1);
