/**
 * Who a page is: the `user` query parameter (an `EventSource` cannot send
 * headers; a real app reads its session or token here, after its guard).
 */
export function sampleIdentity(request: { query?: Record<string, unknown> }): string | undefined {
  const user = request.query?.user;
  return typeof user === 'string' && /^[\w .-]{1,40}$/.test(user) ? user : undefined;
}
