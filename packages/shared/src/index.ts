export * from './protocol.ts';
export * from './sync/index.ts';
export * from './library.ts';
