export * from './errors';
export * from './events';
export * from './envelope';
export * from './subjects';
export * from './months';
