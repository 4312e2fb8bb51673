export * from './audit';
export * from './connection';
export * from './drift';
export * from './repositories';
export * from './schemas';
export * from './store';
export * from './tickets';
