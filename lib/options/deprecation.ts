import { Logger } from '@nestjs/common';
import { SSE_LOGGER_CONTEXT } from '../sse.constants.js';
import * as messages from '../sse.messages.js';

const warned = new Set<string>();
const logger = new Logger(SSE_LOGGER_CONTEXT);

/** One warning per deprecated name per process (not per application, never per request). */
export function warnDeprecated(label: string, prefix: string, was: string, path: readonly string[]): void {
  const key = `${label} ${prefix}.${was}`;
  if (!warned.has(key)) {
    warned.add(key);
    logger.warn(messages.deprecatedOption(label, prefix, was, path));
  }
}

/** (Tests only: forget which deprecation warnings were given.) */
export function forgetDeprecationWarnings(): void {
  warned.clear();
}
