#!/usr/bin/env node
// Runs the compiled CLI. The TypeScript sources build into cli/dist with `npm run build`.
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('gatehouse: the CLI is not built yet. Run `npm run build` in the repository first.\n');
  process.exit(1);
}
require(main).run(process.argv);
