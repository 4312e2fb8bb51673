export * from './connector';
export * from './demo/demo-connector';
export * from './registry';
export * from './github/github-connector';
export * from './slack/slack-connector';
export * from './salesforce/salesforce-connector';
export * from './scim/scim-connector';
