// Preloaded with `node --import`: makes the package named in SSE_HIDE_PACKAGE
// (e.g. `ioredis`, `@opentelemetry/api`) impossible to resolve, as on a
// machine where it is not installed.
import { register } from 'node:module';

const hidden = process.env.SSE_HIDE_PACKAGE;
if (!hidden) {
  throw new Error('hide-package.mjs: set SSE_HIDE_PACKAGE to the package to hide');
}
const hook = `
const hidden = ${JSON.stringify(hidden)};
export async function resolve(specifier, context, next) {
  if (specifier === hidden || specifier.startsWith(hidden + '/')) {
    const error = new Error("Cannot find package '" + hidden + "' imported from " + context.parentURL);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
