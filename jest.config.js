// jest 30 in native ESM mode (run through `node --experimental-vm-modules`),
// TypeScript compiled by @swc/jest with legacy decorators and decorator metadata.
// Which Nest major the suite runs against; test/e2e/nest-major.e2e-spec.ts checks it.
process.env.SSE_EXPECT_NEST_MAJOR ??= '12';

/** @type {import('jest').Config} */
export default {
  rootDir: '.',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/test/nest11/', '<rootDir>/dist/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // ESM sources import relative files as `./x.js`; the .ts file is what exists.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  testTimeout: 20000,
};
