'use strict';
const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const stack = globalThis.__gatehouseStack;
  if (!stack) return;
  globalThis.__gatehouseStack = undefined;
  await Promise.allSettled([stack.env.teardown(), stack.ferret.stop()]);
  fs.rmSync(stack.dataDir, { recursive: true, force: true });
};
