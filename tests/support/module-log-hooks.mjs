// Node module hooks (see module-log.ts): reports every module URL resolved that matches a pattern.
let port;
let pattern;

export async function initialize(data) {
  port = data.port;
  pattern = new RegExp(data.pattern);
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (pattern.test(result.url)) port.postMessage(result.url);
  return result;
}
