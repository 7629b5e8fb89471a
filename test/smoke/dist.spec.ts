import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// The built package as users load it: `npm test` builds dist/ first.
const root = join(import.meta.dirname, '..', '..');
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
const PUBLIC = ['SseBroadcaster', 'SseChannel', 'SseChannelHandle', 'SseChannels', 'SseEncodingError', 'SseModule', 'isSseMessage'];

describe('the built dist/', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does it first).');
    }
  });

  it('loads with import()', () => {
    const out = run(['--input-type=module', '-e', `import * as m from 'nestjs-sse-channel'; import * as t from 'nestjs-sse-channel/testing'; console.log(JSON.stringify([Object.keys(m).sort(), Object.keys(t).sort()]))`]);
    const [main, testing] = JSON.parse(out);
    expect(main).toEqual(expect.arrayContaining(PUBLIC));
    expect(testing).toEqual(expect.arrayContaining(['collectSseEvents', 'SseTestStream']));
  });

  it('exports the public API and nothing else at run time', () => {
    const out = run(['--input-type=module', '-e', `import * as m from 'nestjs-sse-channel'; console.log(JSON.stringify(Object.keys(m).sort()))`]);
    expect(JSON.parse(out)).toEqual(
      ['LastEventId', 'RedisTransport', 'channelName', 'SseBroadcaster', 'SseChannel', 'SseChannelHandle', 'SseChannels', 'SseEncodingError', 'SseHealthIndicator', 'SseMcpEventStore', 'SseModule', 'SseTransportError', 'isSseMessage', 'withSseItemSchemas'].sort(),
    );
  });

  it('exports no internal types (resolved options, ioredis pipeline); a custom transport\'s host type is public', () => {
    const declarations = ['index.d.ts', 'interfaces/index.d.ts'].map((file) =>
      run(['-e', `process.stdout.write(require('fs').readFileSync('dist/${file}','utf8'))`]),
    );
    for (const internal of ['ResolvedSseModuleOptions', 'RedisPipelineLike', 'SSE_MODULE_OPTIONS', 'MemoryTransport']) {
      expect(declarations.join('\n')).not.toContain(internal);
    }
    expect(declarations.join('\n')).toContain('sse-route-options.interface.js');
    expect(declarations.join('\n')).toContain('SseTransportHost');
    expect(declarations.join('\n')).toContain('SseConnectOptions');
  });

  it('ships nestjs-sse-channel/client: SseClient and SseClientError, with import() and require(), and nothing of the server in its files', () => {
    const loaded = run(['--input-type=module', '-e', `import * as c from 'nestjs-sse-channel/client'; console.log(JSON.stringify(Object.keys(c).sort()))`]);
    expect(JSON.parse(loaded)).toEqual(['SseClient', 'SseClientError']);
    const required = run(['-e', `console.log(JSON.stringify(Object.keys(require('nestjs-sse-channel/client')).sort()))`]);
    expect(JSON.parse(required)).toEqual(['SseClient', 'SseClientError']);
    const sources = run(['-e', `const fs = require('fs'); process.stdout.write(fs.readdirSync('dist/client').filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync('dist/client/' + f, 'utf8')).join('\\n'))`]);
    expect(sources).not.toMatch(/@nestjs|rxjs|node:/);
    expect([...sources.matchAll(/from '(\.\.\/[^']+)'/g)].map(([, spec]) => spec)).toEqual([]);
  });

  it('loads with require() (CommonJS apps, e.g. on Nest 11)', () => {
    const out = run(['-e', `const m = require('nestjs-sse-channel'); const t = require('nestjs-sse-channel/testing'); console.log(JSON.stringify([Object.keys(m).sort(), typeof t.collectSseEvents]))`]);
    const [main, collect] = JSON.parse(out);
    expect(main).toEqual(expect.arrayContaining(PUBLIC));
    expect(collect).toBe('function');
  });

  it('ships type declarations with the docs, and only dist/ in the package', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/client/index.js', 'dist/client/index.d.ts', 'package.json']),
    );
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    const run2 = run(['-e', `console.log(require('fs').readFileSync('dist/decorators/sse-channel.decorator.d.ts','utf8').includes('@publicApi'))`]);
    expect(run2).toBe('true');
  });
});
