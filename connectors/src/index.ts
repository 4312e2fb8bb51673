export * from './connector';
export * from './demo/demo-connector';
export * from './registry';
