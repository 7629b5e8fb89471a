/** Nest's metadata key of `@Controller()`'s path (the same in Nest 11 and 12). */
export const PATH_METADATA = 'path';

/**
 * The params of Nest route paths (`:id`, a named wildcard `*rest`, a quoted
 * name; not an escaped `\:`), in order, each once, across all paths — what
 * a request's `params` will hold, and what swagger renders as `{id}`.
 */
export function pathParams(paths: readonly string[]): string[] {
  const names = paths.flatMap((path) =>
    [...path.matchAll(/(?<!\\)[:*]([\p{ID_Start}$_][\p{ID_Continue}$]*|"(?:[^"\\]|\\.)*")/gu)].map(([, name]) =>
      name.startsWith('"') ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name,
    ),
  );
  return [...new Set(names)];
}
