import { BadRequestException } from '@nestjs/common';
import { parseChannelTemplate, refuseParamValues, templateParams, fillChannelTemplate } from '../model/channel-template.js';
import * as messages from '../sse.messages.js';

/**
 * The channel a template names for request values, which cannot escape it:
 * `channelName('rooms/:id', { id })` is `rooms/<id>` for any `id` a client
 * sends, or a `400` — a value that is empty, or has a `/` or a control
 * character, would name another channel (`rooms/1/private`) or none. Use it
 * wherever a channel name is built from a param, a query or a body, as a
 * route's own `:param`s are checked.
 *
 * @throws BadRequestException (400) for a value that cannot fill its segment
 * @throws Error for a template that is not a channel name, or a `:param` without a value (a bug, not bad input)
 *
 * @publicApi
 */
export function channelName(template: string, values: Readonly<Record<string, string | number>>): string {
  const segments = parseChannelTemplate(template, 'channelName()');
  const params = templateParams(segments);
  const texts: Record<string, string> = {};
  for (const param of params) {
    const value = values[param];
    if (value === undefined) {
      throw new Error(messages.channelNameMissing(template, param));
    }
    texts[param] = String(value);
  }
  const refused = refuseParamValues(params, texts) ?? params.map((param) => ({ param, value: texts[param] })).find(({ value }) => value === '');
  if (refused) {
    throw new BadRequestException(messages.channelNameRefused(template, refused.param, refused.value));
  }
  return fillChannelTemplate(segments, texts, (param) => {
    throw new Error(messages.channelNameMissing(template, param));
  });
}
