import type { SseChannelLibraryEvents, SseChannelMap, SseEventMap } from './sse-client-options.interface.js';

type Segment<S extends string> = S extends `:${string}` ? string : S;

/**
 * The channel names a template stands for, as a type: `'rooms/:id'` →
 * `` `rooms/${string}` ``.
 *
 * @publicApi
 */
export type SseChannelName<T extends string> = string extends T
  ? string
  : T extends `${infer Head}/${infer Rest}`
    ? `${Segment<Head>}/${SseChannelName<Rest>}`
    : Segment<T>;

/** The event maps of the templates of `C` that name `N` (`never` when none does). */
type EventsOf<C extends SseChannelMap, N extends string> = {
  [T in keyof C & string]: N extends SseChannelName<T> ? C[T] : never;
}[keyof C & string];

/** A map of events with the library's events of a channel added where it does not name them itself. */
export type WithChannelLibraryEvents<M extends SseEventMap> = M & Omit<SseChannelLibraryEvents, keyof M>;

/** What `client.channel(name)` delivers for channel `N` of the map `C`. */
export type ChannelEventsOf<C extends SseChannelMap, N extends string> = WithChannelLibraryEvents<
  [EventsOf<C, N>] extends [never] ? SseEventMap : EventsOf<C, N>
>;
