/**
 * Who an event is for (`publish(…, { to, except })`), as identities: `to`
 * only these (never anonymous streams), `except` all but these (anonymous
 * ones included). Kept with the event, so replay applies it too.
 */
export interface Audience {
  readonly to?: readonly string[];
  readonly except?: readonly string[];
}

/** Whether a stream of `identity` (undefined: anonymous) gets an event for `audience`. */
export function isFor(audience: Audience | undefined, identity: string | undefined): boolean {
  if (audience === undefined) {
    return true;
  }
  if (audience.to !== undefined && (identity === undefined || !audience.to.includes(identity))) {
    return false;
  }
  return audience.except === undefined || identity === undefined || !audience.except.includes(identity);
}
