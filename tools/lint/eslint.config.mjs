// ESLint for `npm run lint`; the repo-root eslint.config.mjs re-exports this file.
// eslint, typescript-eslint and a TypeScript 5 are installed here, in tools/lint
// (`npm install` in this folder): typescript-eslint needs the TypeScript JS API,
// which the repo's TypeScript 7 (the native compiler) does not have.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = new URL('../../', import.meta.url).pathname;

export default tseslint.config(
  {
    ignores: ['**/node_modules/', 'dist/', 'dist-sample/', 'coverage/', 'test-artifacts/', 'bench/profiles/', 'docs/.check/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { globals: { ...globals.node } },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Channel names and field values are checked for control characters on purpose.
      'no-control-regex': 'off',
      // An argument a decorator needs but the body does not use is named `_like_this`.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A few type-aware rules on the TypeScript sources, for promise bugs the type-checker lets through.
    files: ['**/*.ts'],
    // Outside tsconfig.json: the Nest 11 copy, and the apps test:package type-checks against the packed tarball.
    ignores: ['test/nest11/**', 'test/package/**'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    ignores: ['test/nest11/**', 'test/package/**'],
    rules: {
      // Tests publish fire-and-forget on the in-memory transport, where publish() never rejects.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'file', name: 'publish', path: 'lib/broadcaster/sse-broadcaster.service.ts' },
            { from: 'file', name: 'publish', path: 'lib/broadcaster/sse-channel-handle.ts' },
          ],
        },
      ],
    },
  },
  {
    // Its page.evaluate() callbacks run in the browser.
    files: ['scripts/screenshot-openapi.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
