export * from './app';
export * from './approval';
export * from './duration';
export * from './errors';
export * from './identity';
export * from './policy';
export * from './ticket';
export * from './activities';
