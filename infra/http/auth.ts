import { Identifier } from "../../event-schemas/index.ts";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { problem } from "./problem.ts";

/**
 * Shopper and admin authentication (API.md "HTTP"): `Authorization: Bearer <JWT>`, HS256, `sub` = user
 * id, `role: "admin"` for admin routes, `exp` required and the lifetime (`exp` − `iat`, and what is left
 * of it from now) at most `HOLDFAST_TOKEN_MAX_SECONDS`. The verified principal is stored on the context
 * as `principal`. A 401 carries `WWW-Authenticate: Bearer`, with `error="invalid_token"` when a token
 * was sent (RFC 6750 §3).
 *
 * Verification is HMAC-SHA256 with node:crypto (one KeyObject-free HMAC per token, compared with
 * `timingSafeEqual`), and a bounded cache of tokens already verified, keyed by the token string: a
 * shopper sends the same token with every request, and a hit costs a map lookup and an expiry check.
 * Only tokens whose signature verified enter the cache, so garbage cannot evict anything useful.
 */
export interface Principal {
  readonly userId: string;
  readonly admin: boolean;
}

export type AuthEnv = { Variables: { principal: Principal } };

/** Why a token was refused (the `error_description` of the challenge). */
export type TokenRefusal =
  | "invalid"
  | "malformed"
  | "bad-signature"
  | "unsupported-algorithm"
  | "no-expiry"
  | "expired"
  | "not-yet-valid"
  | "lifetime-too-long"
  | "bad-subject";

export type TokenCheck =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly why: TokenRefusal };

export const DEFAULT_TOKEN_MAX_SECONDS = 86_400;
const CACHE_SIZE = 10_000;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const describeRefusal: Record<TokenRefusal, string> = {
  invalid: "the token is invalid or expired",
  malformed: "the token is not a well-formed JWT",
  "bad-signature": "the token's signature does not verify",
  "unsupported-algorithm": "the token must be signed with HS256",
  "no-expiry": "the token has no exp claim",
  expired: "the token has expired",
  "not-yet-valid": "the token is not valid yet",
  "lifetime-too-long": "the token lives longer than this server allows",
  "bad-subject": "the token's sub is not a user id",
};

const jsonPart = (part: string): Record<string, unknown> | null => {
  if (!BASE64URL.test(part)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

const isSeconds = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * A token checker: `check` says why a token is refused, `verify` is the `Principal | null` form the
 * apps take. `now` is injectable for tests (default: the clock).
 *
 * @example
 *   const verify = makeTokenVerifier(secret, { maxLifetimeSeconds: 3600 });
 *   const principal = await verify(token); // null when refused
 */
export const makeTokenVerifier = (
  secret: string,
  opts: { readonly maxLifetimeSeconds?: number; readonly now?: () => number } = {},
): ((token: string) => Promise<Principal | null>) & { check(token: string): TokenCheck } => {
  const maxLifetime = opts.maxLifetimeSeconds ?? DEFAULT_TOKEN_MAX_SECONDS;
  const nowSeconds = () => (opts.now ?? Date.now)() / 1000;
  const key = Buffer.from(secret, "utf8");
  // An approximate LRU in two generations: hits in the older one move to the newer; when the newer
  // holds half the bound it becomes the older and the older is dropped (entries unused for a whole
  // generation go). No per-hit deletes: V8 Maps degrade badly under delete-and-reinsert churn.
  type Entry = { readonly principal: Principal; readonly exp: number };
  let young = new Map<string, Entry>();
  let old = new Map<string, Entry>();
  const remember = (token: string, entry: Entry) => {
    if (young.size >= CACHE_SIZE / 2) {
      old = young;
      young = new Map();
    }
    young.set(token, entry);
  };
  const cached = (token: string): Entry | undefined => {
    const y = young.get(token);
    if (y !== undefined) return y;
    const o = old.get(token);
    if (o !== undefined) remember(token, o);
    return o;
  };

  const verifyFresh = (token: string, now: number): TokenCheck => {
    const parts = token.split(".");
    if (parts.length !== 3) return { ok: false, why: "malformed" };
    const [h, p, s] = parts as [string, string, string];
    const header = jsonPart(h);
    if (header === null || !BASE64URL.test(s)) return { ok: false, why: "malformed" };
    if (header.alg !== "HS256" || header.crit !== undefined)
      return { ok: false, why: "unsupported-algorithm" };
    const expected = createHmac("sha256", key).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, why: "bad-signature" };
    const claims = jsonPart(p);
    if (claims === null) return { ok: false, why: "malformed" };
    const { exp, iat, nbf, sub } = claims;
    if (exp === undefined) return { ok: false, why: "no-expiry" };
    if (!isSeconds(exp) || (iat !== undefined && !isSeconds(iat)) || (nbf !== undefined && !isSeconds(nbf)))
      return { ok: false, why: "malformed" };
    if (exp <= now) return { ok: false, why: "expired" };
    if (nbf !== undefined && nbf > now) return { ok: false, why: "not-yet-valid" };
    // The lifetime as issued, and what is left of it: a token without iat (or with one in the future)
    // still cannot outlive the bound from now on.
    if ((iat !== undefined && exp - iat > maxLifetime) || exp - now > maxLifetime)
      return { ok: false, why: "lifetime-too-long" };
    if (typeof sub !== "string" || !Identifier.is(sub)) return { ok: false, why: "bad-subject" };
    const principal: Principal = { userId: sub, admin: claims.role === "admin" };
    remember(token, { principal, exp });
    return { ok: true, principal };
  };

  const check = (token: string): TokenCheck => {
    const now = nowSeconds();
    const hit = cached(token);
    if (hit !== undefined)
      return hit.exp <= now ? { ok: false, why: "expired" } : { ok: true, principal: hit.principal };
    return verifyFresh(token, now);
  };
  const verify = async (token: string): Promise<Principal | null> => {
    const r = check(token);
    return r.ok ? r.principal : null;
  };
  return Object.assign(verify, { check });
};

/** base64url of a JSON value. */
const part = (v: unknown) => Buffer.from(JSON.stringify(v), "utf8").toString("base64url");

/** Sign any claims as an HS256 JWT (tests use it to make tokens holdfast must refuse). */
export const signClaims = (secret: string, claims: Readonly<Record<string, unknown>>): string => {
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${unsigned}.${createHmac("sha256", Buffer.from(secret, "utf8")).update(unsigned).digest("base64url")}`;
};

/** `90`, `"90s"`, `"30m"`, `"12h"`, `"1d"` as seconds; `null` when not such a span. */
export const parseLifetime = (span: string | number): number | null => {
  if (typeof span === "number") return Number.isSafeInteger(span) && span > 0 ? span : null;
  const m = /^(\d{1,9})\s*(s|m|h|d)?$/.exec(span.trim());
  if (m === null) return null;
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return n > 0 ? n : null;
};

/** Sign a token with `iat` = now and `exp` = now + `expiresIn` (default 12h), for `holdfast token` and tests. */
export const signToken = async (
  secret: string,
  claims: { readonly userId: string; readonly admin?: boolean; readonly expiresIn?: string | number },
): Promise<string> => {
  const lifetime = parseLifetime(claims.expiresIn ?? "12h");
  if (lifetime === null) throw new Error(`not a token lifetime: ${String(claims.expiresIn)}`);
  const iat = Math.floor(Date.now() / 1000);
  return signClaims(secret, {
    ...(claims.admin === true ? { role: "admin" } : {}),
    sub: claims.userId,
    iat,
    exp: iat + lifetime,
  });
};

/** RFC 6750 §3 challenge; `error` only when a token was sent. */
const challenge = (c: Context, error?: { readonly code: string; readonly description: string }) =>
  c.header(
    "WWW-Authenticate",
    error === undefined ? "Bearer" : `Bearer error="${error.code}", error_description="${error.description}"`,
  );

type Verifier = ((token: string) => Promise<Principal | null>) & { check?(token: string): TokenCheck };

/** 401 without a valid bearer token; 403 when `admin` is required and the token is not an admin's. */
export const authenticate = (
  verify: Verifier,
  opts: { readonly admin?: boolean } = {},
): MiddlewareHandler<AuthEnv> => {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    const scheme = header === undefined ? null : /^Bearer(?:\s+(.*))?$/i.exec(header.trim());
    if (scheme === null) {
      challenge(c);
      return problem(c, "unauthorized", "send Authorization: Bearer <token>");
    }
    const token = scheme[1] ?? "";
    const result: TokenCheck =
      verify.check !== undefined
        ? verify.check(token)
        : await verify(token).then((p) =>
            p === null ? { ok: false, why: "invalid" } : { ok: true, principal: p },
          );
    if (!result.ok) {
      const description = describeRefusal[result.why];
      challenge(c, { code: "invalid_token", description });
      return problem(c, "unauthorized", description);
    }
    if (opts.admin === true && !result.principal.admin) {
      challenge(c, { code: "insufficient_scope", description: "this route needs an admin token" });
      return problem(c, "forbidden", "this route needs an admin token");
    }
    c.set("principal", result.principal);
    await next();
  };
};
