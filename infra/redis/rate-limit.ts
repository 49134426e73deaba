import * as TE from "fp-ts/lib/TaskEither.js";
import type { Redis } from "ioredis";
import type { TokenBucket } from "../config/config.ts";

/**
 * Token buckets in Redis, several checked in ONE Lua call (EVALSHA) per request: all or nothing, so a
 * request refused by its IP bucket does not spend its shopper's token. Each bucket is a hash
 * `{tokens, ts}` refilled lazily from Redis's own clock (`TIME`), so every process shares one clock and
 * one view of the buckets; a key expires once a full bucket would have refilled.
 */
/**
 * The token-bucket step as a Lua fragment, shared by this limiter and by the idempotency admission
 * script (idempotency.ts), which checks the buckets and claims the key in the same call. It defines
 * `take_tokens(nb, base, now)`: buckets KEYS[1..nb], each with ARGV[base + 3i + 1..3] = burst, rate,
 * cost; all or nothing; returns 0 when every bucket had its tokens (and takes them), else the wait in ms.
 */
export const TAKE_TOKENS_LUA = `
local function take_tokens(n, base, now)
  local levels = {}
  local wait = 0
  for i = 1, n do
    local burst = tonumber(ARGV[base + (i - 1) * 3 + 1])
    local rate = tonumber(ARGV[base + (i - 1) * 3 + 2])
    local cost = tonumber(ARGV[base + (i - 1) * 3 + 3])
    local v = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
    local tokens = tonumber(v[1])
    local ts = tonumber(v[2])
    if tokens == nil or ts == nil then tokens = burst; ts = now end
    if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end
    levels[i] = tokens
    if tokens < cost then
      local w = math.ceil((cost - tokens) * 1000 / rate)
      if w > wait then wait = w end
    end
  end
  if wait > 0 then return wait end
  for i = 1, n do
    local burst = tonumber(ARGV[base + (i - 1) * 3 + 1])
    local rate = tonumber(ARGV[base + (i - 1) * 3 + 2])
    local cost = tonumber(ARGV[base + (i - 1) * 3 + 3])
    redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - cost), 'ts', tostring(now))
    redis.call('PEXPIRE', KEYS[i], math.ceil(burst * 1000 / rate) + 1000)
  end
  return 0
end
`;

/** Redis's own clock in ms, so every process shares one clock. */
export const NOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

const SCRIPT = `${TAKE_TOKENS_LUA}${NOW_LUA}
local wait = take_tokens(#KEYS, 0, now)
if wait > 0 then return {0, wait} end
return {1, 0}
`;

/** The ARGV of `take_tokens` for these buckets (burst, rate, cost per bucket). */
export const bucketArgs = (buckets: ReadonlyArray<BucketCheck>): number[] =>
  buckets.flatMap((b) => [b.bucket.burst, b.bucket.perSecond, b.cost ?? 1]);

/** Whole seconds (>= 1) a client should wait, from the script's wait in ms. */
export const retryAfterSecondsOf = (waitMs: number): number => Math.max(1, Math.ceil(waitMs / 1000));

/** One bucket to check: its key (e.g. `shopper:alice`), its size and refill rate, the tokens to take. */
export interface BucketCheck {
  readonly key: string;
  readonly bucket: TokenBucket;
  readonly cost?: number;
}

export type RateLimitDecision =
  | { readonly allowed: true }
  /** `retryAfterSeconds`: whole seconds (>= 1) until every refused bucket holds enough tokens. */
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface RateLimitError {
  readonly _tag: "RateLimiterUnavailable";
  readonly message: string;
}

/** The rate limiter port: one call per request, whatever the number of buckets. */
export interface RateLimiter {
  check(buckets: ReadonlyArray<BucketCheck>): TE.TaskEither<RateLimitError, RateLimitDecision>;
}

type WithScript = Redis & {
  hfTokenBuckets(numKeys: number, ...args: Array<string | number>): Promise<[number, number]>;
};

/**
 * A Redis-backed `RateLimiter`. `prefix` namespaces the bucket keys (`<prefix>rl:<key>`), so tests and
 * tenants never share buckets.
 *
 * @example
 *   const limiter = makeRateLimiter(redis, { prefix: "hf:" });
 *   const d = await limiter.check([
 *     { key: `shopper:${userId}`, bucket: limits.shopperWrite },
 *     { key: `ip:${ip}`, bucket: limits.ipWrite },
 *   ])();
 */
export const makeRateLimiter = (redis: Redis, opts: { readonly prefix: string }): RateLimiter => {
  // defineCommand sends EVALSHA and falls back to EVAL once when the script cache is empty (NOSCRIPT).
  if (!("hfTokenBuckets" in redis)) redis.defineCommand("hfTokenBuckets", { lua: SCRIPT });
  const r = redis as WithScript;
  return {
    check: (buckets) =>
      buckets.length === 0
        ? TE.right({ allowed: true })
        : TE.tryCatch(
            async () => {
              const keys = buckets.map((b) => `${opts.prefix}rl:${b.key}`);
              const [ok, waitMs] = await r.hfTokenBuckets(keys.length, ...keys, ...bucketArgs(buckets));
              return ok === 1
                ? ({ allowed: true } as const)
                : ({ allowed: false, retryAfterSeconds: retryAfterSecondsOf(waitMs) } as const);
            },
            (e): RateLimitError => ({ _tag: "RateLimiterUnavailable", message: String(e) }),
          ),
  };
};
