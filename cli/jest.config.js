// Jest config for this project; the root jest.config.js runs every project together.
const { projectJestConfig } = require('../jest.preset');

module.exports = projectJestConfig(__dirname);
