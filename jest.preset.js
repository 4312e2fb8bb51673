// Shared Jest settings. Each project's jest.config.js calls projectJestConfig(__dirname); the root
// jest.config.js lists the projects, so `npm test` runs them all in one Jest process.
const path = require('node:path');

const root = __dirname;

// Workspace packages resolve to their TypeScript sources, so tests never run stale builds.
const moduleNameMapper = {
  '^@gatehouse/(domain|store|workflows|activities|connectors|notifiers|tools)$': `${root}/$1/src/index.ts`,
  '^@gatehouse/(gateway|worker)$': `${root}/services/$1/src/index.ts`,
};

function projectJestConfig(dir) {
  return {
    displayName: path.relative(root, dir) || 'root',
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    moduleNameMapper,
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: `${root}/tsconfig.spec.json` }],
    },
    setupFilesAfterEnv: [`${root}/test/support/jest-timeout.js`],
  };
}

module.exports = { projectJestConfig, moduleNameMapper };
