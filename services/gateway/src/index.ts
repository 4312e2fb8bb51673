export * from './config';
export * from './gateway';
export { toErrorBody } from './common/error.filter';
export { createLogger } from './common/logging';
