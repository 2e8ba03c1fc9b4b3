/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The benchmark's peer is a package of its own (own node_modules, own Temporal SDK): never part of the suite.
  modulePathIgnorePatterns: ['<rootDir>/bench/peer/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 120000,
  // Two test files at once on two cores: three finish a little sooner on a quiet machine, but on a loaded one their
  // timing-sensitive cases (a graceful stop, a reader racing a short sub-agent) flake.
  maxWorkers: 2,
};
