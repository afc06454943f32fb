import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

/**
 * Records every module this process loads from now on whose URL matches `pattern`, through Node's
 * own module hooks: "the SDK is never loaded" as a fact about the process, not about our code.
 */
export function logModules(pattern: RegExp): { loaded: string[] } {
  const { port1, port2 } = new MessageChannel();
  const log = { loaded: [] as string[] };
  port1.on('message', (url: string) => log.loaded.push(url));
  port1.unref();
  register('./module-log-hooks.mjs', {
    parentURL: import.meta.url,
    data: { port: port2, pattern: pattern.source },
    transferList: [port2],
  });
  return log;
}
