// The same e2e suite, run against Nest 11 (CommonJS) installed in test/nest11:
// every `@nestjs/*` import, ours and Nest's own, resolves to that copy.
process.env.SSE_EXPECT_NEST_MAJOR = '11';
const { default: base } = await import('./jest.config.js');

const nest11 = '<rootDir>/test/nest11/node_modules/@nestjs/$1$2';

/** @type {import('jest').Config} */
export default {
  ...base,
  displayName: 'nest11',
  testMatch: ['**/*.e2e-spec.ts'],
  moduleNameMapper: {
    '^@nestjs/(common|core|testing|platform-express|platform-fastify|swagger)(/.*)?$': nest11,
    ...base.moduleNameMapper,
  },
};
