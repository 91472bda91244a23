export * from './errors.js';
export * from './spec/types.js';
export type * from './store/store.js';
