#!/usr/bin/env node
// Builds cli/dist from the TypeScript sources (tsc -b: nothing to do when dist is current). `npm install`
// runs it as this workspace's `prepare` script, so `npx gatehouse` works right after an install, and
// bin/gatehouse.js runs it when dist is missing (an install with --ignore-scripts, a deleted dist).
// It never fails an install: without TypeScript (an install without dev dependencies) or on a compile
// error it says so and exits 0, and the bin explains again when it is run.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const cliDir = path.join(__dirname, '..');

/** Compiles the CLI; true when cli/dist is built. Compiler output goes to stderr, never stdout. */
function build() {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [cliDir] });
  } catch {
    process.stderr.write(
      'gatehouse: TypeScript is not installed (npm install without --omit=dev), so the CLI cannot be built.\n',
    );
    return false;
  }
  const run = spawnSync(process.execPath, [tsc, '-b', path.join(cliDir, 'tsconfig.lib.json')], {
    stdio: ['ignore', 2, 2],
  });
  if (run.status !== 0) process.stderr.write('gatehouse: building the CLI failed (see above).\n');
  return run.status === 0;
}

module.exports = { build };

if (require.main === module) build();
