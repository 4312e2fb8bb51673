export * from './connection';
export * from './repositories';
export * from './schemas';
export * from './store';
export * from './tickets';
