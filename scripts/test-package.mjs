// `npm run test:package`: the package as users get it. Packs the tarball
// (`prepare` builds dist/), checks what it ships, then installs it into fresh
// apps in a temporary directory — nothing of this repository's node_modules is
// reachable from there — a CommonJS Nest 11 app type-checked with TypeScript's
// `node10` resolution, an ESM Nest 12 app, and the same ESM app installed from
// git (`npm install git+file://…`, which runs `prepare`). Each app is built,
// booted on 127.0.0.1 and read: one event over raw HTTP, one through
// `nestjs-sse-channel/testing`. Exits non-zero on any failure.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';

const root = join(import.meta.dirname, '..');
const templates = join(root, 'test', 'package');
const work = mkdtempSync(join(tmpdir(), 'sse-package-'));
const keep = process.env.SSE_KEEP_PACKAGE_APPS === '1';

const step = (message) => console.log(`== test:package: ${message}`);
function sh(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
  }
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** npm may fail on a registry hiccup: three attempts. */
function npmInstall(cwd) {
  for (let attempt = 1; ; attempt++) {
    try {
      sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], cwd);
      return;
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
      console.log(`npm install failed (attempt ${attempt} of 3), retrying`);
    }
  }
}

function pack() {
  step('npm pack (prepare builds dist/)');
  const [info] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], root));
  const files = info.files.map((f) => f.path);
  for (const required of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
    check(files.includes(required), `the package lacks ${required}`);
  }
  const maps = files.filter((f) => f.endsWith('.map'));
  check(maps.length === 0, `the package ships source maps pointing to sources it does not ship: ${maps.slice(0, 3).join(', ')}`);
  const stray = files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f));
  check(stray.length === 0, `the package ships files outside dist/: ${stray.join(', ')}`);
  console.log(`${info.filename}: ${files.length} files, ${info.size} bytes`);
  return join(work, info.filename);
}

/** A fresh ESM Nest 12 app on Fastify, type-checked with `nodenext`. */
const NEST12_ESM = {
  type: 'module',
  main: 'main-fastify.ts',
  dependencies: { '@nestjs/common': '^12.0.0', '@nestjs/core': '^12.0.0', '@nestjs/platform-fastify': '^12.0.0', typescript: '^6.0.0' },
  compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022' },
};

const APPS = (tarball) => [
  {
    name: 'nest11-cjs',
    source: `file:${tarball}`,
    type: 'commonjs',
    main: 'main-express.ts',
    dependencies: { '@nestjs/common': '^11.0.0', '@nestjs/core': '^11.0.0', '@nestjs/platform-express': '^11.0.0', typescript: '~5.9.0' },
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', target: 'es2021' },
  },
  { ...NEST12_ESM, name: 'nest12-esm', source: `file:${tarball}` },
  { ...NEST12_ESM, name: 'nest12-esm-from-git', source: `git+file://${root}` },
];

function createApp(app) {
  const dir = join(work, app.name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: app.name,
        private: true,
        type: app.type,
        dependencies: {
          ...app.dependencies,
          'nestjs-sse-channel': app.source,
          'reflect-metadata': '^0.2.0',
          rxjs: '^7.8.0',
          '@types/node': '^20.19.0',
        },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          ...app.compilerOptions,
          outDir: 'dist',
          rootDir: 'src',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          // what a user's build checks: our declarations, not only our code
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  for (const [from, to] of [['app.module.ts', 'app.module.ts'], [app.main, 'main.ts'], ['read-one.ts', 'read-one.ts']]) {
    copyFileSync(join(templates, from), join(dir, 'src', to));
  }
  return dir;
}

/** Starts the app; resolves with its URL once it listens. */
function boot(dir) {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace('[::1]', '127.0.0.1'));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the app exited (${code}) before it listened:\n${output}`)));
  });
  return { child, url };
}

/** One event over raw HTTP, parsed with eventsource-parser. */
function readOneEvent(url) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no event within 10 s')), 10_000);
    const request = get(`${url}/ticks`, { headers: { accept: 'text/event-stream' } }, (response) => {
      const parser = createParser({
        onEvent: (event) => {
          clearTimeout(timer);
          request.destroy();
          resolve({ status: response.statusCode, contentType: response.headers['content-type'], event });
        },
      });
      response.setEncoding('utf8');
      response.on('data', (chunk) => parser.feed(chunk));
    });
    request.on('error', (error) => {
      if (!request.destroyed) {
        reject(error);
      }
    });
  });
}

async function testApp(app) {
  step(`${app.name}: install ${app.source.startsWith('git+') ? 'from git' : 'the tarball'} into a fresh app`);
  const dir = createApp(app);
  npmInstall(dir);
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules', 'nestjs-sse-channel', 'package.json'), 'utf8'));
  check(installed.name === 'nestjs-sse-channel', 'the installed package has another name');
  step(`${app.name}: tsc (${app.compilerOptions.moduleResolution} resolution, skipLibCheck off)`);
  sh(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.'], dir);
  step(`${app.name}: boot and read one event`);
  const { child, url } = boot(dir);
  try {
    const base = await url;
    const raw = await readOneEvent(base);
    check(raw.status === 200, `GET /ticks answered ${raw.status}`);
    check(raw.contentType?.startsWith('text/event-stream'), `content-type ${raw.contentType}`);
    check(raw.event.event === 'tick' && typeof JSON.parse(raw.event.data).n === 'number', `unexpected event ${JSON.stringify(raw.event)}`);
    const viaTesting = JSON.parse(sh(process.execPath, ['dist/read-one.js', base], dir));
    check(viaTesting.status === 200 && viaTesting.event?.event === 'tick', `nestjs-sse-channel/testing read ${JSON.stringify(viaTesting)}`);
    console.log(`${app.name}: ok — ${JSON.stringify(raw.event)}`);
  } finally {
    child.kill('SIGTERM');
  }
}

let failed = false;
try {
  const tarball = pack();
  const only = process.env.SSE_PACKAGE_ONLY?.split(',');
  for (const app of APPS(tarball).filter((a) => !only || only.includes(a.name))) {
    await testApp(app);
  }
} catch (error) {
  failed = true;
  console.error(`test:package FAILED: ${error.stack ?? error}`);
} finally {
  if (!keep) {
    rmSync(work, { recursive: true, force: true });
  } else {
    console.log(`apps kept in ${work}`);
  }
}
process.exit(failed ? 1 : 0);
