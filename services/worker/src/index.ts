export * from './config';
export * from './worker';
export * from './telemetry';
