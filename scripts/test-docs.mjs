// npm run test:docs — every example in the docs compiles and runs, as a user copies it.
//
// 1. Every ```ts and ```js block of README.md and docs/*.md is type-checked
//    against the package's sources (`nestjs-sse-channel` resolves to lib/, the
//    types dist/ is built from), as an app imports it:
//    - `<!-- docs:file docs/examples/<topic>/<file>.ts -->` on the line before
//      a block: the block is that file, verbatim (the check fails if they
//      differ); the file is compiled with its example.
//    - `<!-- docs:preamble ... -->` on the lines before a block: hidden code
//      put before it (imports, `declare const broadcaster: SseBroadcaster;`)
//      for a fragment. Any other block is compiled as a module of its own.
//    - ```ts blocks are strict TypeScript (ESM, `.js` in relative imports);
//      ```js blocks are browser or Node scripts, checked as JavaScript
//      (DOM types; `EventSource` included).
// 2. `<!-- docs:options <object> -->` before a table: its rows' first cells
//    (`key` or `group.key`) are exactly the options of that object in the
//    options schema — the tables cannot drift from the code.
// 3. The example apps under docs/examples/ run: jest runs test/docs/*.docs-spec.ts
//    (jest.docs.config.js), which boot them and drive them over HTTP with real
//    SSE clients.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const checkDir = join(root, 'docs', '.check');
const failures = [];
const fail = (where, message) => failures.push(`${where}: ${message}`);

const markdownFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** The fenced blocks of a Markdown file, with the HTML comments just before each. */
function blocksOf(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)?\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    // The comments right before the block (blank lines allowed between them).
    const directives = [];
    let j = start - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    while (j >= 0 && lines[j].trimEnd().endsWith('-->')) {
      let k = j;
      while (k >= 0 && !lines[k].includes('<!--')) k--;
      if (k < 0) break;
      directives.unshift(lines.slice(k, j + 1).join('\n'));
      j = k - 1;
      while (j >= 0 && lines[j].trim() === '') j--;
    }
    blocks.push({ lang: open[1] ?? '', line: start + 2, code: lines.slice(start + 1, end).join('\n'), directives, end });
    i = end;
  }
  return blocks;
}

/** `<!-- docs:<name> <body> -->` directives of a block. */
function directive(block, name) {
  for (const comment of block.directives) {
    const match = new RegExp(`^<!--\\s*docs:${name}\\b([\\s\\S]*?)-->$`).exec(comment.trim());
    if (match) return match[1].trim();
  }
  return undefined;
}

// The README fits on a few screens; the rest is in the guides.
const readmeLines = readFileSync(join(root, 'README.md'), 'utf8').split('\n').length - 1;
if (readmeLines > 300) fail('README.md', `${readmeLines} lines: keep it at 300 or fewer (move the details to a guide in docs/)`);

rmSync(checkDir, { recursive: true, force: true });
mkdirSync(join(checkDir, 'ts'), { recursive: true });
mkdirSync(join(checkDir, 'js'), { recursive: true });
/** Where each generated file came from: to report errors at the Markdown line. */
const origins = new Map();
let checked = 0;

for (const file of markdownFiles) {
  const text = readFileSync(join(root, file), 'utf8');
  const blocks = blocksOf(text);
  blocks.forEach((block, index) => {
    const lang = block.lang.toLowerCase();
    if (!['ts', 'typescript', 'js', 'javascript'].includes(lang)) return;
    checked++;
    const where = `${file}:${block.line}`;
    const included = directive(block, 'file');
    if (included !== undefined) {
      const path = join(root, included);
      if (!existsSync(path)) {
        fail(where, `docs:file ${included} does not exist`);
      } else if (readFileSync(path, 'utf8').trimEnd() !== block.code.trimEnd()) {
        fail(where, `the block differs from ${included}: paste the file again (the file is what CI runs)`);
      }
      return;
    }
    const preamble = directive(block, 'preamble') ?? '';
    const js = lang.startsWith('j');
    const name = `${file.replace(/[/.]/g, '_')}_${index}.${js ? 'js' : 'ts'}`;
    const body = `${preamble}\n${block.code}\n${/^\s*(import|export)\b/m.test(preamble + block.code) ? '' : 'export {};\n'}`;
    writeFileSync(join(checkDir, js ? 'js' : 'ts', name), body);
    origins.set(name, { file, line: block.line, offset: preamble.split('\n').length });
  });
}

function tsc(project) {
  const result = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project, '--pretty', 'false'], { encoding: 'utf8' });
  for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) {
    const match = /^(.*?)\((\d+),(\d+)\): (.*)$/.exec(line);
    const origin = match && origins.get(match[1].split('/').pop());
    if (origin) {
      fail(`${origin.file}:${origin.line + Number(match[2]) - 1 - origin.offset}`, match[4]);
    } else {
      fail(relative(root, project), line);
    }
  }
  return result.status === 0;
}

const common = {
  paths: {
    'nestjs-sse-channel': ['../../lib/index.ts'],
    'nestjs-sse-channel/testing': ['../../lib/testing/index.ts'],
    'nestjs-sse-channel/client': ['../../lib/client/index.ts'],
  },
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'es2022',
  lib: ['es2023', 'es2024.string', 'dom', 'dom.iterable'],
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};
writeFileSync(
  join(checkDir, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { ...common, strict: true, noImplicitOverride: true }, include: ['ts/**/*.ts', '../examples/**/*.ts'] }, null, 2),
);
writeFileSync(
  join(checkDir, 'tsconfig.js.json'),
  JSON.stringify({ compilerOptions: { ...common, allowJs: true, checkJs: true, strict: false }, include: ['js/**/*.js'] }, null, 2),
);
tsc(join(checkDir, 'tsconfig.json'));
if (readdirSync(join(checkDir, 'js')).length > 0) tsc(join(checkDir, 'tsconfig.js.json'));

// 2. Option tables against the schemas (of the build: npm run test:docs builds first).
if (!existsSync(join(root, 'dist/index.js'))) {
  console.error('test:docs: build first (npm run build): the option tables are checked against the built schemas.');
  process.exit(1);
}
const { MODULE_SCHEMA } = await import('../dist/options/module-options.js');
const { ROUTE_SCHEMA } = await import('../dist/options/route-options.js');
const { PUBLISH_SCHEMA, CONNECT_SCHEMA } = await import('../dist/options/broadcaster-options.js');
const { REDIS_TRANSPORT_SCHEMA } = await import('../dist/transport/redis/redis-transport-options.js');
/** Every option of a schema: `key`, or `group.key` for the fields of a group (the group itself has no row). */
const keysOf = (schema) =>
  Object.entries(schema).flatMap(([key, field]) => (field.group ? Object.keys(field.group).map((inner) => `${key}.${inner}`) : [key]));
const SCHEMAS = {
  SseModule: keysOf(MODULE_SCHEMA),
  route: keysOf(ROUTE_SCHEMA),
  publish: keysOf(PUBLISH_SCHEMA),
  connect: keysOf(CONNECT_SCHEMA),
  RedisTransport: keysOf(REDIS_TRANSPORT_SCHEMA),
};
const tabled = Object.fromEntries(Object.keys(SCHEMAS).map((name) => [name, new Set()]));
for (const file of markdownFiles) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  lines.forEach((line, i) => {
    const marker = /^<!--\s*docs:options\s+(\S+)\s*-->$/.exec(line.trim());
    if (!marker) return;
    const name = marker[1];
    if (!SCHEMAS[name]) {
      fail(`${file}:${i + 1}`, `docs:options ${name}: not one of ${Object.keys(SCHEMAS).join(', ')}`);
      return;
    }
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    const rows = [];
    for (; j < lines.length && lines[j].startsWith('|'); j++) {
      const cell = /^\|\s*`([^`]+)`/.exec(lines[j]);
      if (cell) rows.push(cell[1]);
    }
    const known = new Set(SCHEMAS[name]);
    for (const key of rows) {
      if (!known.has(key)) fail(`${file}:${i + 1}`, `the ${name} options table has \`${key}\`, which the schema does not`);
      tabled[name].add(key);
    }
  });
}
for (const [name, keys] of Object.entries(SCHEMAS)) {
  const missing = keys.filter((key) => !tabled[name].has(key));
  if (missing.length > 0) fail('docs', `no docs:options ${name} table lists ${missing.map((key) => `\`${key}\``).join(', ')}`);
}

if (failures.length > 0) {
  console.error(`test:docs: ${failures.length} problem(s) in ${checked} code blocks:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  process.exit(1);
}
console.log(`test:docs: ${checked} code blocks type-checked or matched to their example files; option tables match the schemas.`);

// 3. The example apps, driven over HTTP.
const jest = spawnSync(process.execPath, [join(root, 'scripts/jest.mjs'), '--config', 'jest.docs.config.js'], { stdio: 'inherit', cwd: root });
process.exit(jest.status ?? 1);
