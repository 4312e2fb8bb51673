#!/usr/bin/env node
// Runs the compiled CLI (cli/dist). `npm install` builds it (the `prepare` script); when it is missing
// all the same (an install with --ignore-scripts, a deleted dist), it is built here first, once. When a
// source is newer than the last build (a `git pull` or an edit since), it is rebuilt first, so the
// command never runs code older than the sources next to it.
const path = require('node:path');
const fs = require('node:fs');

const cliDir = path.join(__dirname, '..');
const main = path.join(cliDir, 'dist', 'main.js');
const buildInfo = path.join(cliDir, 'dist', '.tsbuildinfo');

/** The newest modification time (ms) of what the build reads: the sources and the tsconfigs it builds with. */
function newestInput() {
  let newest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    else if (!file.endsWith('.spec.ts')) newest = Math.max(newest, stat.mtimeMs);
  };
  for (const input of ['src', 'tsconfig.lib.json', path.join('..', 'tsconfig.base.json')])
    visit(path.join(cliDir, input));
  return newest;
}

function build() {
  const built = require('../scripts/build').build();
  // tsc -b leaves its build info alone when only timestamps changed: mark this build as current.
  if (built && fs.existsSync(buildInfo)) fs.utimesSync(buildInfo, new Date(), new Date());
  return built;
}

if (!fs.existsSync(main)) {
  process.stderr.write('gatehouse: building the CLI first (cli/dist is missing) …\n');
  if (!build()) {
    process.stderr.write(
      'gatehouse: the CLI is not built. Run `npm install`, then `npm run build`, in the repository.\n',
    );
    process.exit(1);
  }
} else {
  const builtAt = fs.statSync(buildInfo, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (newestInput() > builtAt) {
    process.stderr.write('gatehouse: rebuilding the CLI first (cli/src changed since cli/dist was built) …\n');
    if (!build()) {
      process.stderr.write(
        'gatehouse: the CLI could not be rebuilt, and cli/dist is older than its sources. ' +
          'Run `npm install`, then `npm run build`, in the repository.\n',
      );
      process.exit(1);
    }
  }
}
require(main).run(process.argv);
