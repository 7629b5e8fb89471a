/**
 * The machinery of the option schemas: one table per options object, each
 * entry an option's check, its default and the name it had before. The
 * known keys, the "did you mean" of a typo, the deprecated names and the
 * resolved type all come from the table; nothing here knows an option.
 */
import * as messages from '../sse.messages.js';
import { closest } from '../util/closest.js';
import { assertEventName, assertRetry } from '../wire/encoder.js';
import { warnDeprecated } from './deprecation.js';

/** How a failed check is thrown (the broadcaster's options throw `SseEncodingError`). */
export type OptionError = (message: string) => Error;

/** Where an options object is, for messages. */
export interface OptionsAt {
  /** The options object (or group), in errors: `SseModule options.history`. */
  readonly where: string;
  /** The whole options object, in errors: `SseModule options`. */
  readonly root: string;
  /** Who owns the options, in deprecation warnings: `SseModule option`. */
  readonly label: string;
  /** Where an entry of a map is, in deprecation warnings: `channels[…]` ('' at the top). */
  readonly prefix: string;
  readonly error: OptionError;
}

/**
 * One option. `V` is what users give, `R` what the consumers get: the value
 * given, or the default.
 */
export interface Field<V, R> {
  /** Checks a value (`undefined` when left out) and gives the resolved one. */
  resolve(value: unknown, field: string, at: OptionsAt): R;
  /** The name the option had before (deprecated, still accepted with one warning). */
  readonly was?: string;
  /** The options of a group (`history: { … }`): the deprecated names of its fields live on the level above. */
  readonly group?: Schema;
  /** (Types only: what users give.) */
  readonly input?: V;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Readonly<Record<string, Field<any, unknown>>>;

/** A schema for the options interface `T`: an entry for each of its keys and nothing else. */
export type SchemaOf<T> = { readonly [K in keyof Required<T>]: Field<Exclude<T[K], undefined>, unknown> };

/** The options a schema resolves to. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Resolved<S extends Schema> = { -readonly [K in keyof S]: S[K] extends Field<any, infer R> ? R : never };

interface FieldOptions<T> {
  readonly default?: T;
  readonly was?: string;
}

/** An option checked by `check` when given; `options.default` when left out (or blank, with `blankIsUnset`). */
function optional<V>(check: (value: unknown, field: string, at: OptionsAt) => void, blankIsUnset = false) {
  function make(options: FieldOptions<V> & { default: V }): Field<V, V>;
  function make(options?: FieldOptions<V>): Field<V, V | undefined>;
  function make(options: FieldOptions<V> = {}): Field<V, V | undefined> {
    return {
      was: options.was,
      resolve(value, field, at) {
        if (value === undefined || (blankIsUnset && value === '')) {
          return options.default;
        }
        check(value, field, at);
        return value as V;
      },
    };
  }
  return make;
}

/** A check from the wire rules (which name a short field), rethrown with where it is. */
function wireCheck(assert: (value: unknown, field: string) => void) {
  return (value: unknown, field: string, at: OptionsAt) => {
    try {
      assert(value, field.slice(at.root.length + 1));
    } catch (error) {
      throw Object.assign(at.error(`${at.root}: ${messages.errorText(error)}`), { cause: error });
    }
  };
}

/** A non-negative integer: a count, a size, a duration in ms; `unit` says which, in the error. */
export const count = (unit: string) =>
  optional<number>((value, field, at) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw at.error(messages.invalidCount(field, value, unit));
    }
  });

/** A function; `shape` says what it is called with and returns, in the error. */
export const func = <F>(shape: string) =>
  optional<F>((value, field, at) => {
    if (typeof value !== 'function') {
      throw at.error(messages.invalidOptionValue(field, value, `pass a function ${shape}.`));
    }
  });

/** An SSE event name (a string without line breaks); '' is the same as leaving it out. */
export const eventName = () => optional<string>(wireCheck(assertEventName), true);

/** An SSE `retry` value. */
export const retry = () => optional<number>(wireCheck(assertRetry));

export const boolean = () =>
  optional<boolean>((value, field, at) => {
    if (typeof value !== 'boolean') {
      throw at.error(messages.invalidOptionValue(field, value, 'it must be true or false.'));
    }
  });

/** One of a few values; `fix` says which and what they mean. */
export const oneOf = <T extends string>(values: readonly T[], fix: string) =>
  optional<T>((value, field, at) => {
    if (!values.includes(value as T)) {
      throw at.error(messages.invalidOptionValue(field, value, fix));
    }
  });

/** Anything `check` accepts (a transport, a schema, a client…). */
export const custom = <V>(check: (value: unknown, field: string, at: OptionsAt) => void) => optional<V>(check);

/** A group of options (`history: { size, bytes }`), resolved with its own schema; its defaults when left out. */
export function group<S extends Schema>(schema: S): Field<never, Resolved<S>> {
  return {
    group: schema,
    resolve: (value, field, at) => resolveGroup(schema, value ?? {}, { ...at, where: field }),
  };
}

/**
 * A map from names to option objects of one schema (`channels`), each
 * resolved with it — fields it leaves out stay out; `checkName` checks a name.
 */
export function record<S extends Schema>(
  schema: S,
  example: string,
  checkName: (name: string, field: string) => void,
): Field<never, Record<string, Partial<Resolved<S>>>> {
  return {
    resolve(value, field, at) {
      const entries = value ?? {};
      if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
        throw at.error(messages.invalidOptionValue(field, entries, `pass an object like ${example}.`));
      }
      const result: Record<string, Partial<Resolved<S>>> = {};
      for (const [name, entry] of Object.entries(entries)) {
        checkName(name, field);
        const where = `${field}[${messages.quote(name)}]`;
        const resolved = resolveOptions(schema, entry, { ...at, where, root: where, prefix: `${field.slice(at.root.length + 1)}[…]` });
        result[name] = Object.fromEntries(Object.entries(resolved).filter(([, v]) => v !== undefined)) as Partial<Resolved<S>>;
      }
      return result;
    },
  };
}

/** A deprecated name and where its option is now: `[key]` or `[group, key]`. */
interface Alias {
  readonly was: string;
  readonly path: readonly string[];
}

/** The deprecated names of a schema's options, with their groups' (which are given on this level). */
export function aliasesOf(schema: Schema): Alias[] {
  return Object.entries(schema).flatMap(([key, field]) => [
    ...(field.was ? [{ was: field.was, path: [key] }] : []),
    ...Object.entries(field.group ?? {}).flatMap(([inner, sub]) => (sub.was ? [{ was: sub.was, path: [key, inner] }] : [])),
  ]);
}

/** Every key an options object of this schema may have: its own, and the deprecated ones. */
export function knownKeys(schema: Schema): string[] {
  return [...new Set([...Object.keys(schema), ...aliasesOf(schema).map((alias) => alias.was)])];
}

/** What a schema's tables give, worked out once (`publish()` options are resolved per call). */
const derived = new WeakMap<Schema, { aliases: Alias[]; known: string[] }>();
function derive(schema: Schema) {
  let tables = derived.get(schema);
  if (!tables) {
    tables = { aliases: aliasesOf(schema), known: knownKeys(schema) };
    derived.set(schema, tables);
  }
  return tables;
}

/** Checks an options object against its schema and fills in the defaults. */
export function resolveOptions<S extends Schema>(schema: S, options: unknown, at: OptionsAt): Resolved<S> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw at.error(messages.mustBeAnObject(at.where, options));
  }
  const { aliases, known } = derive(schema);
  const given = options as Record<string, unknown>;
  return resolveGroup(schema, aliases.length === 0 ? given : moveDeprecated(schema, aliases, given, at), at, known);
}

function resolveGroup<S extends Schema>(schema: S, options: unknown, at: OptionsAt, known = Object.keys(schema)): Resolved<S> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw at.error(messages.mustBeAnObject(at.where, options));
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw at.error(messages.unknownOption(at.where, key, known, closest(key, known)));
    }
  }
  const resolved: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    resolved[key] = field.resolve((options as Record<string, unknown>)[key], `${at.where}.${key}`, at);
  }
  return resolved as Resolved<S>;
}

/**
 * The options with every deprecated name moved to its new place (checked
 * under the name given, warned about once per process). The old and the new
 * place of one option both given: an error naming both. A deprecated name
 * that is also a group's (`history: 100`) is told apart by type: a group is
 * an object.
 */
function moveDeprecated(schema: Schema, aliases: readonly Alias[], options: Record<string, unknown>, at: OptionsAt): Record<string, unknown> {
  const moved: Record<string, unknown> = { ...options };
  for (const { was, path } of aliases) {
    const value = options[was];
    if (value === undefined || (was in schema && isObject(value))) {
      continue;
    }
    const [key, inner] = path;
    const field = inner === undefined ? schema[key] : schema[key].group![inner];
    field.resolve(value, `${at.where}.${was}`, at);
    const given = was === key ? undefined : options[key];
    if (inner === undefined ? given !== undefined : isObject(given) && given[inner] !== undefined) {
      throw at.error(messages.deprecatedAndNew(at.where, was, path));
    }
    if (was !== key) {
      delete moved[was];
    }
    moved[key] = inner === undefined ? value : { ...(isObject(moved[key]) ? moved[key] : {}), [inner]: value };
    warnDeprecated(at.label, at.prefix, was, path);
  }
  return moved;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
