// Cross-service tests: end to end through the HTTP API, fault injection, replay of recorded histories.
const { projectJestConfig } = require('../jest.preset');

module.exports = {
  ...projectJestConfig(__dirname),
  globalSetup: '<rootDir>/support/global-setup.js',
  globalTeardown: '<rootDir>/support/global-teardown.js',
};
