export * from './protocol.ts';
export * from './sync/index.ts';
export * from './bot-api.ts';
export * from './library.ts';
