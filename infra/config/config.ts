import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import {
  type ConfigError,
  type Decoded,
  decodeSettings,
  type Env,
  optional,
  type Parse,
  type SettingsSpec,
  setting,
  settingsCodec,
  urlOf,
  variablesOf,
} from "./settings.ts";

export type { ConfigError, Env } from "./settings.ts";

/**
 * The one configuration of every holdfast process, decoded from the environment at start (API.md,
 * "Configuration"): one io-ts codec (`ConfigCodec`), made of slices. Each role and each CLI command
 * decodes only the slices it uses (`decodeConfigSlice(writeApiSettings, env)`), so a command that signs
 * no tokens never asks for the JWT secret. Nothing else reads `process.env`: the CLI passes it here once.
 */

const TokenBucket = t.type({
  burst: t.refinement(t.number, (n) => n > 0, "positive"),
  perSecond: t.refinement(t.number, (n) => n > 0, "positive"),
});
export type TokenBucket = t.TypeOf<typeof TokenBucket>;

export const RateLimits = t.type({ shopperWrite: TokenBucket, ipWrite: TokenBucket, ipRead: TokenBucket });
export type RateLimits = t.TypeOf<typeof RateLimits>;

export const DEFAULT_RATE_LIMITS: RateLimits = {
  shopperWrite: { burst: 10, perSecond: 2 },
  ipWrite: { burst: 1000, perSecond: 200 },
  ipRead: { burst: 5000, perSecond: 1000 },
};

/** The fixed secret `holdfast serve --dev` falls back to: never for production. */
export const DEV_JWT_SECRET = "holdfast-development-secret-do-not-use-in-production";

const httpUrl = urlOf(["http:", "https:"]);

const kafkaBrokers: Parse<ReadonlyArray<string>> = (text, variable) => {
  const brokers = (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))
    ? E.left(`${variable} must be host:port[,host:port…], got "${text}"`)
    : E.right(brokers);
};

const jwtSecret: Parse<string> = (text, variable) =>
  text === undefined
    ? E.left(`${variable} is required (or run \`holdfast serve --dev\`)`)
    : text.length < 16
      ? E.left(`${variable} must be at least 16 characters`)
      : E.right(text);

/** `null` when limiting is off (`off`, benchmarks only); buckets not given keep their defaults. */
const rateLimits: Parse<RateLimits | null> = (text, variable) => {
  if (text === "off") return E.right(null);
  if (text === undefined) return E.right(DEFAULT_RATE_LIMITS);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return E.left(`${variable} must be JSON or "off"`);
  }
  return E.mapLeft(() => `${variable} buckets need positive burst and perSecond`)(
    RateLimits.decode({ ...DEFAULT_RATE_LIMITS, ...(parsed as object) }),
  );
};

const portNumber: Parse<number> = (text = "", variable) => {
  const n = Number(text);
  return /^\d+$/.test(text) && n >= 1 && n <= 65535
    ? E.right(n)
    : E.left(`${variable} must be a port number, got "${text}"`);
};

const positiveSeconds: Parse<number> = (text = "", variable) =>
  /^\d{1,9}$/.test(text) && Number(text) >= 1
    ? E.right(Number(text))
    : E.left(`${variable} must be a positive whole number of seconds, got "${text}"`);

const anyText: Parse<string | null> = (text) => E.right(text ?? null);

/**
 * `HOLDFAST_TEST_FAULT` (fault tests only, never documented for operators): `kill-after-claim` makes the
 * write API SIGKILL itself right after claiming an Idempotency-Key that starts with `test-fault-kill-`,
 * before the command reaches the queue. Anything else: no fault.
 */
const testFault: Parse<"kill-after-claim" | null> = (text) =>
  E.right(text === "kill-after-claim" ? "kill-after-claim" : null);

// The slices. Field names are the decoded config's.

export const postgresSettings = {
  databaseUrl: setting(
    "DATABASE_URL",
    urlOf(["postgres:", "postgresql:"]),
    "postgres://postgres@127.0.0.1:5432/holdfast",
  ),
} satisfies SettingsSpec;

/** EventStoreDB when `EVENTSTORE_URL` is set, PostgreSQL at `DATABASE_URL` otherwise. */
export const eventStoreSettings = {
  ...postgresSettings,
  eventStoreUrl: setting("EVENTSTORE_URL", optional(urlOf(["esdb:", "esdb+discover:", "kurrentdb:"]))),
} satisfies SettingsSpec;

export const redisSettings = {
  redisUrl: setting("REDIS_URL", urlOf(["redis:", "rediss:"]), "redis://127.0.0.1:6379"),
} satisfies SettingsSpec;

export const kafkaSettings = {
  kafkaBrokers: setting("KAFKA_BROKERS", kafkaBrokers, "127.0.0.1:9092"),
} satisfies SettingsSpec;

export const searchSettings = {
  elasticsearchUrl: setting("ELASTICSEARCH_URL", httpUrl, "http://127.0.0.1:9200"),
} satisfies SettingsSpec;

export const paymentGatewaySettings = {
  paymentGatewayUrl: setting("PAYMENT_GATEWAY_URL", httpUrl, "http://127.0.0.1:8090"),
} satisfies SettingsSpec;

/** Verifying (and, for `holdfast token`, signing) shopper and admin tokens. */
export const authSettings = {
  jwtSecret: setting("HOLDFAST_JWT_SECRET", jwtSecret),
  /** Longest lifetime (`exp` − `iat`) a token may have. */
  tokenMaxSeconds: setting("HOLDFAST_TOKEN_MAX_SECONDS", positiveSeconds, "86400"),
} satisfies SettingsSpec;

export const rateLimitSettings = {
  rateLimits: setting("HOLDFAST_RATE_LIMITS", rateLimits),
} satisfies SettingsSpec;

export const httpSettings = {
  httpPort: setting("HOLDFAST_HTTP_PORT", portNumber, "8080"),
} satisfies SettingsSpec;

/** OTLP/HTTP endpoint for traces; `null`: tracing off. */
export const tracingSettings = {
  otlpEndpoint: setting("OTEL_EXPORTER_OTLP_ENDPOINT", optional(httpUrl)),
} satisfies SettingsSpec;

/** The operator's Ed25519 key file (PEM) that signs tree heads; `null`: none. */
export const checkpointSettings = {
  checkpointKeyFile: setting("HOLDFAST_CHECKPOINT_KEY", anyText),
} satisfies SettingsSpec;

export const faultSettings = {
  testFault: setting("HOLDFAST_TEST_FAULT", testFault),
} satisfies SettingsSpec;

/** The four servers of the local stack (`holdfast stack`). */
export const serverSettings = {
  ...postgresSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...searchSettings,
} satisfies SettingsSpec;

/** Every operator-facing variable of API.md's table (and the two for tests and signing). */
export const configSettings = {
  ...eventStoreSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...searchSettings,
  ...paymentGatewaySettings,
  ...authSettings,
  ...rateLimitSettings,
  ...httpSettings,
  ...tracingSettings,
  ...checkpointSettings,
  ...faultSettings,
} satisfies SettingsSpec;

const servePart: Parse<"http" | "core" | null> = (text) =>
  E.right(text === "http" || text === "core" ? text : null);
const roleList: Parse<ReadonlyArray<string>> = (text) =>
  E.right((text ?? "").split(",").filter((r) => r !== ""));
const given: Parse<boolean> = (text) => E.right(text !== undefined);

/**
 * What `holdfast serve` itself reads: the part a `--workers` process plays (`HOLDFAST_SERVE_PART`,
 * `HOLDFAST_SERVE_ROLES`, set by the primary for the processes it forks, never by operators), and whether
 * `PAYMENT_GATEWAY_URL` was given (under `--dev` an explicit gateway wins over the simulator).
 */
export const serveProcessSettings = {
  servePart: setting("HOLDFAST_SERVE_PART", servePart),
  serveRoles: setting("HOLDFAST_SERVE_ROLES", roleList),
  paymentGatewayGiven: setting("PAYMENT_GATEWAY_URL", given),
} satisfies SettingsSpec;

export const ConfigCodec = settingsCodec(configSettings, "Config");
export type Config = Decoded<typeof configSettings>;
/** The decoded slice of a spec (`ConfigOf<typeof redisSettings>` = `{ redisUrl: string }`). */
export type ConfigOf<S extends SettingsSpec> = Decoded<S>;

/** The variables the config reads (compose.yaml may pass holdfast only these). */
export const CONFIG_VARIABLES: ReadonlyArray<string> = variablesOf(configSettings);

export interface DecodeOptions {
  /**
   * `holdfast serve --dev` (and `holdfast token --dev`): the development JWT secret when
   * `HOLDFAST_JWT_SECRET` is unset; an explicit variable always wins.
   */
  readonly dev?: boolean;
}

const withDevDefaults = (env: Env, opts: DecodeOptions): Env =>
  opts.dev === true && (env.HOLDFAST_JWT_SECRET ?? "") === ""
    ? { ...env, HOLDFAST_JWT_SECRET: DEV_JWT_SECRET }
    : env;

/** Decode one slice (or a spread of slices) from the environment. */
export const decodeConfigSlice = <S extends SettingsSpec>(
  spec: S,
  env: Env,
  opts: DecodeOptions = {},
): E.Either<ConfigError, Decoded<S>> => decodeSettings(settingsCodec(spec), withDevDefaults(env, opts));

/** Decode the whole config. */
export const decodeConfig = (env: Env, opts: DecodeOptions = {}): E.Either<ConfigError, Config> =>
  decodeSettings(ConfigCodec, withDevDefaults(env, opts));
