// jest 30 in native ESM mode (run through `node --experimental-vm-modules`),
// TypeScript compiled by @swc/jest with legacy decorators and decorator metadata.
// Which Nest major the suite runs against; test/e2e/module.e2e-spec.ts checks it.
process.env.SSE_EXPECT_NEST_MAJOR ??= '12';

/** @type {import('jest').Config} */
export default {
  rootDir: '.',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // (*.cluster-spec.ts and *.once-spec.ts: not in the Nest 11 run, which takes *.e2e-spec.ts only.)
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.browser-spec.ts', '**/*.cluster-spec.ts', '**/*.once-spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/test/nest11/', '<rootDir>/dist/', '<rootDir>/dist-sample/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // The sample imports the library by its package name, as users do.
    '^nestjs-sse-channel$': '<rootDir>/lib/index.ts',
    '^nestjs-sse-channel/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-sse-channel/client$': '<rootDir>/lib/client/index.ts',
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
