export * from './api-error.ts';
export * from './bot-api.ts';
export * from './client-config.ts';
export * from './clock.ts';
export * from './error-scrub.ts';
export * from './library.ts';
export * from './protocol.ts';
export * from './sync/index.ts';
