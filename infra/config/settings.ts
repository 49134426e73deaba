import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/**
 * The io-ts codec of environment variables. A `Setting` names one variable, its default text and how its
 * text becomes a value (or the message naming what is wrong); a `SettingsSpec` is a record of settings,
 * one slice of the config (`{ redisUrl: REDIS_URL }`); `settingsCodec(spec)` is the io-ts codec from the
 * environment to that slice, whose type comes from the spec. Slices compose by spreading
 * (`{ ...redis, ...kafka }`): the whole config is the spread of all of them (config.ts).
 *
 * An empty variable counts as unset. A setting sees `undefined` when its variable is unset and has no
 * default, so "required" and "optional" are the setting's decision, with its own message.
 *
 * @example
 *   const Slice = settingsCodec({ redisUrl: setting("REDIS_URL", urlOf(["redis:"]), "redis://127.0.0.1:6379") });
 *   decodeSettings(Slice, { REDIS_URL: "redis://cache:6379" }); // right({ redisUrl: "redis://cache:6379" })
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** How one variable's text (`undefined`: unset) becomes a value, or the message saying what is wrong. */
export type Parse<A> = (text: string | undefined, variable: string) => E.Either<string, A>;

export interface Setting<A> {
  readonly variable: string;
  readonly parse: Parse<A>;
  /** The text used when the variable is unset (API.md's default column). */
  readonly fallback?: string;
}

export const setting = <A>(variable: string, parse: Parse<A>, fallback?: string): Setting<A> => ({
  variable,
  parse,
  ...(fallback === undefined ? {} : { fallback }),
});

// biome-ignore lint/suspicious/noExplicitAny: settings differ in type; `Decoded` recovers each one.
export type SettingsSpec = Readonly<Record<string, Setting<any>>>;
export type Decoded<S extends SettingsSpec> = {
  readonly [K in keyof S]: S[K] extends Setting<infer A> ? A : never;
};

/** The io-ts codec of a slice: the environment in, the decoded slice out; the first wrong variable fails. */
export const settingsCodec = <S extends SettingsSpec>(
  spec: S,
  name = "Settings",
): t.Decoder<unknown, Decoded<S>> =>
  new t.Type<Decoded<S>, Env, unknown>(
    name,
    (u): u is Decoded<S> => typeof u === "object" && u !== null,
    (u, c) => {
      if (typeof u !== "object" || u === null) return t.failure(u, c, "the environment is not an object");
      const env = u as Env;
      const out: Record<string, unknown> = {};
      for (const [field, s] of Object.entries(spec)) {
        const given = env[s.variable];
        const r = s.parse(given === undefined || given === "" ? s.fallback : given, s.variable);
        if (E.isLeft(r))
          return t.failure(given, [...c, { key: s.variable, type: t.string, actual: given }], r.left);
        out[field] = r.right;
      }
      return t.success(out as Decoded<S>);
    },
    () => ({}),
  );

/** The spread of several slices known only at run time (the roles `holdfast serve` runs). */
export const mergeSettings = (specs: ReadonlyArray<SettingsSpec>): SettingsSpec =>
  Object.assign({}, ...specs);

/** The variables a spec reads. */
export const variablesOf = (spec: SettingsSpec): ReadonlyArray<string> =>
  Object.values(spec).map((s) => s.variable);

export interface ConfigError {
  readonly _tag: "ConfigError";
  readonly variable: string;
  readonly message: string;
}

/** Decode `env` with a slice's codec; a wrong value is a `ConfigError` naming its variable. */
export const decodeSettings = <A>(codec: t.Decoder<unknown, A>, env: Env): E.Either<ConfigError, A> =>
  E.mapLeft((errors: t.Errors): ConfigError => {
    const first = errors[0];
    const variable = first?.context[first.context.length - 1]?.key || "environment";
    return { _tag: "ConfigError", variable, message: first?.message ?? `${variable} is not valid` };
  })(codec.decode(env));

// The kinds of text the variables hold. Messages name the variable and quote what was given.

/** A URL with one of `protocols`. */
export const urlOf =
  (protocols: ReadonlyArray<string>): Parse<string> =>
  (text, variable) => {
    if (text === undefined) return E.left(`${variable} is required`);
    try {
      return protocols.includes(new URL(text).protocol)
        ? E.right(text)
        : E.left(`${variable} must be a ${protocols.join(" or ")} URL, got "${text}"`);
    } catch {
      return E.left(`${variable} is not a URL: "${text}"`);
    }
  };

/** Unset is `null`; otherwise `parse`. */
export const optional =
  <A>(parse: Parse<A>): Parse<A | null> =>
  (text, variable) =>
    text === undefined ? E.right(null) : parse(text, variable);
