// Nest 12 and @noble ship ESM only; @swc/jest turns them (and our TypeScript) into CommonJS for Jest.
const transform = {
  '^.+\\.(t|j|mj)s$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
const transformIgnorePatterns = [
  // @fastify/static (Swagger UI's files) requires its own ESM-only copy of content-disposition.
  '/node_modules/(?!(@nestjs|@noble|file-type|load-esm|uid|@standard-schema|@fastify/static/node_modules/content-disposition|content-disposition)/)',
];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };

module.exports = {
  // A global option: Jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
