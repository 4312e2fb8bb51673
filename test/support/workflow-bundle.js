// Options for bundling the ticket workflows from their TypeScript sources (tests) so that workspace
// imports resolve to sources too. The worker in production loads a bundle prebuilt from dist/.
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

function workflowBundleOptions() {
  return {
    workflowsPath: path.join(root, 'workflows/src/workflows.ts'),
    // As the worker bundles them (services/worker/src/telemetry.ts, WORKFLOW_INTERCEPTOR_MODULES).
    workflowInterceptorModules: [path.join(root, 'workflows/src/tracing-interceptors.ts')],
    webpackConfigHook: (config) => {
      config.resolve = config.resolve ?? {};
      config.resolve.alias = {
        ...(config.resolve.alias ?? {}),
        '@gatehouse/domain': path.join(root, 'domain/src/index.ts'),
      };
      return config;
    },
  };
}

module.exports = { workflowBundleOptions };
