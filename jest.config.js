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
  // Three test files at once on two cores: an integration file spends about a third of its time waiting on the
  // server, timers and child processes (test/integration/loop.test.ts: 60 s of CPU for a 92 s file), so two leave a
  // core idle.
  maxWorkers: 3,
};
