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
  // @fastify/cookie loads the ESM-only `cookie` with import(), which Jest's CommonJS runtime cannot run untransformed;
  // @fastify/static (Swagger UI's files) requires its own ESM-only copy of content-disposition;
  // otplib's plugins require the ESM-only @scure/base and @noble/hashes.
  '/node_modules/(?!(@nestjs|@noble|file-type|load-esm|uid|@standard-schema|@fastify/cookie|cookie|@fastify/static/node_modules/content-disposition|content-disposition|@scure|@otplib)/)',
];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };
const e2e = {
  ...common,
  roots: ['<rootDir>/test'],
  // The example host applications (examples/) import Tessera by its package name.
  moduleNameMapper: { '^tessera$': '<rootDir>/src/index.ts' },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};
// Suites that also run against examples/host-express with Tessera's routes on. Left out: validation
// and attrs-validation (they assert the service's answers to what fails before a route runs: bad
// JSON, unknown paths, 415 on non-JSON bodies, which a host answers with its own handling);
// logging and attrs-logging (the service's request-log lines); cart-example (extra modules);
// attrs-concurrency (passes, but costs ~25 s of CPU a run).
const expressSuites = ['auth', 'sessions', 'users', 'attrs-ops', 'attrs-batch', 'attrs-access', 'attrs-expiry', 'attrs-encryption', 'attrs-update-form', 'round-trips', 'smoke', 'user-search', 'linked-auth'];

module.exports = {
  // A global option: Jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] },
    { ...e2e, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'] },
    {
      ...e2e,
      displayName: 'e2e-express',
      testMatch: expressSuites.map((name) => `**/test/${name}.e2e-spec.ts`),
      // test/support/test-app.ts builds the Express host instead of the Fastify service.
      globals: { TESSERA_TEST_PLATFORM: 'express' },
    },
  ],
};
