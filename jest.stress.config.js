// The stress suite (`npm run test:stress`): many streams, long loops, heap
// figures. Not part of `npm test`; .ci/run runs it once, on Nest 12.
const { default: base } = await import('./jest.config.js');

/** @type {import('jest').Config} */
export default {
  ...base,
  displayName: 'stress',
  testMatch: ['**/*.stress-spec.ts'],
  testTimeout: 180_000,
};
