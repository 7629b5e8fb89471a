// `npm run lint`: ESLint with typescript-eslint over the repo (config: eslint.config.mjs).
// The tools live in tools/lint with their own TypeScript 5, since typescript-eslint
// needs the TypeScript JS API that the repo's TypeScript 7 lacks; install them once
// with `npm install --prefix tools/lint`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = fileURLToPath(new URL('../tools/lint/node_modules/eslint/bin/eslint.js', import.meta.url));
if (!existsSync(eslint)) {
  console.error('npm run lint: the lint tools are not installed; run `npm install --prefix tools/lint` first.');
  process.exit(1);
}
const args = process.argv.slice(2);
const { status, signal } = spawnSync(process.execPath, [eslint, ...(args.length > 0 ? args : ['.'])], { cwd: root, stdio: 'inherit' });
process.exit(status ?? (signal ? 1 : 0));
