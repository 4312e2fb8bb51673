// Every project's tests in one Jest run; servers are started once by test/support/global-setup.js.
// testTimeout and passWithNoTests are global options: Jest ignores them inside project configs.
module.exports = {
  testTimeout: 60_000,
  passWithNoTests: true,
  projects: [
    '<rootDir>/domain',
    '<rootDir>/store',
    '<rootDir>/connectors',
    '<rootDir>/notifiers',
    '<rootDir>/workflows',
    '<rootDir>/activities',
    '<rootDir>/services/gateway',
    '<rootDir>/services/worker',
    '<rootDir>/tools',
    '<rootDir>/cli',
    '<rootDir>/test',
  ],
};
