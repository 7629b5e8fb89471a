/**
 * The schemas of `SseBroadcaster.publish()` and `connect()` options. Their
 * mistakes throw `SseEncodingError` (a publish with bad input sends nothing).
 */
import type { SseConnectOptions } from '../interfaces/sse-connect-options.interface.js';
import type { SsePublishOptions } from '../interfaces/sse-publish-options.interface.js';
import * as messages from '../sse.messages.js';
import { assertId, SseEncodingError } from '../wire/encoder.js';
import { boolean, custom, eventName, resolveOptions, type OptionsAt, type Resolved, type SchemaOf } from './schema.js';

type Identities = NonNullable<SsePublishOptions['to']>;

/** An identity (a non-empty string) or an array of them. */
function assertIdentities(value: unknown, field: string, at: OptionsAt): void {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((identity) => typeof identity !== 'string' || identity === '')) {
    throw at.error(messages.invalidOptionValue(field, value, 'pass an identity (a non-empty string) or an array of them.'));
  }
}

const PUBLISH = {
  event: eventName()(),
  id: custom<string>((id, _field, at) => {
    assertId(id, 'id');
    if (id === '') {
      throw at.error('Invalid SSE id "": a published event needs a non-empty id, or none to get the channel\'s next one.');
    }
  })(),
  to: custom<Identities>(assertIdentities)(),
  except: custom<Identities>(assertIdentities)(),
} satisfies SchemaOf<SsePublishOptions>;

const CONNECT = {
  end: boolean()({ default: false }),
  cancelWhenIdle: custom<number>((idle, field, at) => {
    if (typeof idle !== 'number' || !Number.isSafeInteger(idle) || idle <= 0) {
      throw at.error(messages.invalidOptionValue(field, idle, 'it must be a positive integer number of milliseconds.'));
    }
  })(),
} satisfies SchemaOf<SseConnectOptions>;

/** The tables, for tests and docs. */
export const PUBLISH_SCHEMA = PUBLISH;
export const CONNECT_SCHEMA = CONNECT;

const at = (where: string): OptionsAt => ({ where, root: where, label: where, prefix: '', error: (message) => new SseEncodingError(message) });
const PUBLISH_AT = at('publish options');
const CONNECT_AT = at('connect options');

/** Checks `publish()` options (`undefined`: none). */
export function resolvePublishOptions(options: SsePublishOptions | undefined): Resolved<typeof PUBLISH> | undefined {
  return options === undefined ? undefined : resolveOptions(PUBLISH, options, PUBLISH_AT);
}

/** Checks `connect()` options and fills in the defaults. */
export function resolveConnectOptions(options: SseConnectOptions = {}): Resolved<typeof CONNECT> {
  return resolveOptions(CONNECT, options, CONNECT_AT);
}
