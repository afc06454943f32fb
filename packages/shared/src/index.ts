export * from './protocol.ts';
export * from './sync/index.ts';
