// Every project's tests in one Jest run; servers are started once by test/support/global-setup.js.
module.exports = {
  projects: [
    '<rootDir>/domain',
    '<rootDir>/store',
    '<rootDir>/connectors',
    '<rootDir>/workflows',
    '<rootDir>/activities',
    '<rootDir>/services/gateway',
    '<rootDir>/services/worker',
    '<rootDir>/tools',
    '<rootDir>/test',
  ],
};
