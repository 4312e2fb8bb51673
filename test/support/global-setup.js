// Starts the real servers once per Jest run: an ephemeral Temporal dev server through
// @temporalio/testing (with our pinned binary, never a download) and FerretDB on a temporary folder.
// Every project that needs servers lists this file; the first one starts them and the others reuse them.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { binaries, dynamicConfigArgs, startFerretDb, searchAttributes } = require('../../tools/scripts/stack');

module.exports = async function globalSetup() {
  if (process.env.GATEHOUSE_TEST_STACK) return;
  const { TestWorkflowEnvironment } = require('@temporalio/testing');
  const { defineSearchAttributeKey } = require('@temporalio/common');
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const { workflowBundleOptions } = require('./workflow-bundle');

  const { temporal } = binaries();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  const [env, ferret, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporal },
        searchAttributes: Object.entries(searchAttributes).map(([name, type]) =>
          defineSearchAttributeKey(name, type.toUpperCase()),
        ),
        extraArgs: dynamicConfigArgs(),
      },
    }),
    startFerretDb({ dataDir: path.join(dataDir, 'ferretdb') }),
    // One bundle for every test worker of this run, instead of one webpack run per test file.
    bundleWorkflowCode(workflowBundleOptions()),
  ]);
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env.GATEHOUSE_TEST_STACK = dataDir;
  process.env.TEST_TEMPORAL_ADDRESS = env.address;
  process.env.TEST_MONGODB_URI = ferret.uri;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  globalThis.__gatehouseStack = { env, ferret, dataDir };
};
