// The example apps of the docs (docs/examples/<topic>/), booted and driven
// over HTTP by test/docs/*.docs-spec.ts: `npm run test:docs` (after the
// type-check of every code block in the docs, scripts/test-docs.mjs).
const { default: base } = await import('./jest.config.js');

/** @type {import('jest').Config} */
export default {
  ...base,
  displayName: 'docs',
  roots: ['<rootDir>/test/docs'],
  testMatch: ['**/*.docs-spec.ts'],
};
