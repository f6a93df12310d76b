/**
 * One jest run for the whole repository. Tests import the services' TypeScript
 * sources directly (no build needed); the process and container tests run the
 * compiled output that `npm test` builds first (its `pretest`).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type errors are caught by `tsc -b` in pretest; here only transpile, which is much faster.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/__tests__/tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@forum/service-kit$': '<rootDir>/services/shared/src/index.ts',
    // The kit's subpath exports (package.json "exports"), from source like the rest.
    '^@forum/service-kit/(store/[a-z-]+|trace)$': '<rootDir>/services/shared/src/$1.ts',
    // The monolith's resource list (its "./resources" export), as its plugins.ts declares it.
    '^@forum/monolith/resources$': '<rootDir>/services/monolith/src/plugins.ts',
    '^@forum/([a-z][a-z0-9-]*)$': '<rootDir>/services/$1/src/index.ts',
  },
  testTimeout: 30_000,
  // One emulator for the suites' DynamoDB tables (support/data.ts).
  globalSetup: '<rootDir>/__tests__/support/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/support/global-teardown.ts',
  // Most suites wait on Terraform, the emulator, Docker or sockets, not on a core. Four workers on 2 cores: the three
  // whole journeys start at once, at most two of them running (support/turns.ts: the third waits for a turn), and
  // the light suites run beside them on the fourth. With two workers, the light suites ran one after another beside
  // one journey, and a fifth of the CPU went unused while they waited (idle timeouts, the ALB's creation).
  maxWorkers: 4,
  // The whole-journey suites first, the tour first (support/sequencer.js).
  testSequencer: '<rootDir>/__tests__/support/sequencer.js',
  reporters: ['default', '<rootDir>/__tests__/support/summary-reporter.js'],
};
