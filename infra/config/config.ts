import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/**
 * The one configuration of every holdfast process, decoded from the environment at start (API.md,
 * "Configuration"). Nothing else reads `process.env`: composition roots call `decodeConfig(process.env)`
 * and pass the parts down.
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

export interface Config {
  readonly databaseUrl: string;
  readonly eventStoreUrl: string | null;
  readonly redisUrl: string;
  readonly kafkaBrokers: ReadonlyArray<string>;
  readonly elasticsearchUrl: string;
  readonly paymentGatewayUrl: string;
  readonly jwtSecret: string;
  /** `null` when limiting is off (`HOLDFAST_RATE_LIMITS=off`, benchmarks only). */
  readonly rateLimits: RateLimits | null;
  readonly httpPort: number;
  /**
   * `HOLDFAST_TEST_FAULT` (fault tests only, never documented for operators): `kill-after-claim` makes
   * the write API SIGKILL itself right after claiming an Idempotency-Key that starts with
   * `test-fault-kill-`, before the command reaches the queue.
   */
  readonly testFault?: "kill-after-claim" | null;
  /** Longest lifetime (`exp` − `iat`) a token may have (`HOLDFAST_TOKEN_MAX_SECONDS`, default 86400). */
  readonly tokenMaxSeconds: number;
  /** `HOLDFAST_CHECKPOINT_KEY`: the operator's Ed25519 key file (PEM) that signs tree heads; unset = none. */
  readonly checkpointKeyFile?: string;
  /** OTLP/HTTP endpoint for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); `null`: tracing off. */
  readonly otlpEndpoint: string | null;
}

export interface ConfigError {
  readonly _tag: "ConfigError";
  readonly variable: string;
  readonly message: string;
}

const err = (variable: string, message: string): E.Either<ConfigError, never> =>
  E.left({ _tag: "ConfigError", variable, message });

const url = (
  variable: string,
  value: string,
  protocols: ReadonlyArray<string>,
): E.Either<ConfigError, string> => {
  try {
    const u = new URL(value);
    return protocols.includes(u.protocol)
      ? E.right(value)
      : err(variable, `${variable} must be a ${protocols.join(" or ")} URL, got "${value}"`);
  } catch {
    return err(variable, `${variable} is not a URL: "${value}"`);
  }
};

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Decode the environment. `dev` (from `holdfast serve --dev`) allows the development JWT secret when
 * `HOLDFAST_JWT_SECRET` is unset; an explicit variable always wins.
 */
export const decodeConfig = (
  env: Env,
  opts: { readonly dev?: boolean } = {},
): E.Either<ConfigError, Config> => {
  const get = (k: string, d: string) => (env[k] === undefined || env[k] === "" ? d : (env[k] as string));
  const databaseUrl = url(
    "DATABASE_URL",
    get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/holdfast"),
    ["postgres:", "postgresql:"],
  );
  if (E.isLeft(databaseUrl)) return databaseUrl;
  const esdb = env.EVENTSTORE_URL
    ? url("EVENTSTORE_URL", env.EVENTSTORE_URL, ["esdb:", "esdb+discover:", "kurrentdb:"])
    : E.right(null);
  if (E.isLeft(esdb)) return esdb;
  const redisUrl = url("REDIS_URL", get("REDIS_URL", "redis://127.0.0.1:6379"), ["redis:", "rediss:"]);
  if (E.isLeft(redisUrl)) return redisUrl;
  const brokers = get("KAFKA_BROKERS", "127.0.0.1:9092")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b)))
    return err("KAFKA_BROKERS", `KAFKA_BROKERS must be host:port[,host:port…], got "${env.KAFKA_BROKERS}"`);
  const es = url("ELASTICSEARCH_URL", get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"), ["http:", "https:"]);
  if (E.isLeft(es)) return es;
  const pay = url("PAYMENT_GATEWAY_URL", get("PAYMENT_GATEWAY_URL", "http://127.0.0.1:8090"), [
    "http:",
    "https:",
  ]);
  if (E.isLeft(pay)) return pay;
  const secret = env.HOLDFAST_JWT_SECRET;
  let jwtSecret: string;
  if (secret !== undefined && secret !== "") {
    if (secret.length < 16)
      return err("HOLDFAST_JWT_SECRET", "HOLDFAST_JWT_SECRET must be at least 16 characters");
    jwtSecret = secret;
  } else if (opts.dev === true) jwtSecret = DEV_JWT_SECRET;
  else return err("HOLDFAST_JWT_SECRET", "HOLDFAST_JWT_SECRET is required (or run `holdfast serve --dev`)");
  let rateLimits: RateLimits | null = DEFAULT_RATE_LIMITS;
  const rl = env.HOLDFAST_RATE_LIMITS;
  if (rl === "off") rateLimits = null;
  else if (rl !== undefined && rl !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rl);
    } catch {
      return err("HOLDFAST_RATE_LIMITS", 'HOLDFAST_RATE_LIMITS must be JSON or "off"');
    }
    const d = RateLimits.decode({ ...DEFAULT_RATE_LIMITS, ...(parsed as object) });
    if (E.isLeft(d))
      return err("HOLDFAST_RATE_LIMITS", "HOLDFAST_RATE_LIMITS buckets need positive burst and perSecond");
    rateLimits = d.right;
  }
  const portText = get("HOLDFAST_HTTP_PORT", "8080");
  const httpPort = Number(portText);
  if (!/^\d+$/.test(portText) || httpPort < 1 || httpPort > 65535)
    return err("HOLDFAST_HTTP_PORT", `HOLDFAST_HTTP_PORT must be a port number, got "${portText}"`);
  const maxText = get("HOLDFAST_TOKEN_MAX_SECONDS", "86400");
  const tokenMaxSeconds = Number(maxText);
  if (!/^\d{1,9}$/.test(maxText) || tokenMaxSeconds < 1)
    return err(
      "HOLDFAST_TOKEN_MAX_SECONDS",
      `HOLDFAST_TOKEN_MAX_SECONDS must be a positive whole number of seconds, got "${maxText}"`,
    );
  const otlp = env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? url("OTEL_EXPORTER_OTLP_ENDPOINT", env.OTEL_EXPORTER_OTLP_ENDPOINT, ["http:", "https:"])
    : E.right(null);
  if (E.isLeft(otlp)) return otlp;
  return E.right({
    databaseUrl: databaseUrl.right,
    eventStoreUrl: esdb.right,
    redisUrl: redisUrl.right,
    kafkaBrokers: brokers,
    elasticsearchUrl: es.right,
    paymentGatewayUrl: pay.right,
    jwtSecret,
    rateLimits,
    httpPort,
    testFault: env.HOLDFAST_TEST_FAULT === "kill-after-claim" ? "kill-after-claim" : null,
    tokenMaxSeconds,
    ...(env.HOLDFAST_CHECKPOINT_KEY ? { checkpointKeyFile: env.HOLDFAST_CHECKPOINT_KEY } : {}),
    otlpEndpoint: otlp.right,
  });
};
