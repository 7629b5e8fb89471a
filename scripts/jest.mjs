// Runs jest in native ESM mode (Nest 12 is pure ESM). With SSE_JEST_JSON set,
// jest also writes its results there (CI prints a summary from them).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const jest = fileURLToPath(new URL('../node_modules/jest/bin/jest.js', import.meta.url));
const args = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jest, ...process.argv.slice(2)];
if (process.env.SSE_JEST_JSON) {
  args.push('--json', `--outputFile=${process.env.SSE_JEST_JSON}`);
}
const { status, signal } = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(status ?? (signal ? 1 : 0));
