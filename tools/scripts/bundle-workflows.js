// Prebuilds the worker's workflow bundle unless it is newer than every compiled workflow/domain file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '../..');
const bundle = path.join(root, 'services/worker/dist/workflow-bundle.js');

function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

const sources = Math.max(newest(path.join(root, 'workflows/dist')), newest(path.join(root, 'domain/dist')));
if (fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs > sources) process.exit(0);
execFileSync(process.execPath, [path.join(root, 'services/worker/dist/bundle.js'), bundle], { stdio: 'inherit' });
