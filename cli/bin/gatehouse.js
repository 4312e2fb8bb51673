#!/usr/bin/env node
// Runs the compiled CLI (cli/dist). `npm install` builds it (the `prepare` script); when it is missing
// all the same (an install with --ignore-scripts, a deleted dist), it is built here first, once.
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('gatehouse: building the CLI first (cli/dist is missing) …\n');
  if (!require('../scripts/build').build()) {
    process.stderr.write(
      'gatehouse: the CLI is not built. Run `npm install`, then `npm run build`, in the repository.\n',
    );
    process.exit(1);
  }
}
require(main).run(process.argv);
