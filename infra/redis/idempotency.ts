import type { Redis } from "ioredis";

/**
 * `Idempotency-Key` claims. A claim binds (scope, key) to the fingerprint of the request and the
 * requestId that will answer it, atomically (one Lua call): the first caller gets `Claimed`, every later
 * caller with the same fingerprint `Replay` (with the first requestId, whose outcome is the answer), and
 * one with another fingerprint `Mismatch`. Concurrent duplicates therefore enqueue ONE command.
 *
 * The claim also writes the request's references (who owns the request, which SKU a reservation or an
 * order belongs to) in the same call, so a request that was claimed can always be found again.
 */
export type Claim =
  | { readonly _tag: "Claimed" }
  | { readonly _tag: "Replay"; readonly requestId: string }
  | { readonly _tag: "Mismatch"; readonly requestId: string };

export interface RequestRefs {
  /** The shopper (or admin) the request belongs to. */
  readonly owner: string;
  readonly reservation?: { readonly reservationId: string; readonly skuId: string };
  readonly order?: { readonly orderId: string; readonly skuId: string };
}

export interface IdempotencyStore {
  claim(
    scope: string,
    key: string,
    fingerprint: string,
    requestId: string,
    refs: RequestRefs,
  ): Promise<Claim>;
  /** Undo a claim whose command could not be enqueued, so a retry can go through. */
  release(scope: string, key: string, fingerprint: string, requestId: string): Promise<void>;
}

/** Where requests, reservations and orders lead (written with the claim, read by later requests). */
export interface RefStore {
  requestOwner(requestId: string): Promise<string | null>;
  reservationSku(reservationId: string): Promise<string | null>;
  orderSku(orderId: string): Promise<string | null>;
  /** Record references without an idempotency claim (e.g. a cancellation). */
  note(requestId: string, refs: RequestRefs): Promise<void>;
}

export const IDEMPOTENCY_TTL_S = 24 * 3600;
/** Reservation and order references outlive any hold and any payment retry. */
export const REFS_TTL_S = 30 * 24 * 3600;

const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  local fp = string.sub(cur, 1, sep - 1)
  local rid = string.sub(cur, sep + 1)
  if fp ~= ARGV[1] then return {'mismatch', rid} end
  return {'replay', rid}
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 3], 'EX', ARGV[4]) end
return {'claimed', ARGV[2]}
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type WithScripts = Redis & {
  hfIdemClaim(n: number, ...args: string[]): Promise<[string, string]>;
  hfIdemRelease(n: number, ...args: string[]): Promise<number>;
};

export const refKeys = (prefix: string) => ({
  idem: (scope: string, key: string) => `${prefix}idem:${scope}:${key}`,
  owner: (requestId: string) => `${prefix}req-owner:${requestId}`,
  reservation: (id: string) => `${prefix}res-sku:${id}`,
  order: (id: string) => `${prefix}order-sku:${id}`,
});

const refPairs = (
  k: ReturnType<typeof refKeys>,
  requestId: string,
  refs: RequestRefs,
): Array<[string, string]> => [
  [k.owner(requestId), refs.owner],
  ...(refs.reservation === undefined
    ? []
    : [[k.reservation(refs.reservation.reservationId), refs.reservation.skuId] as [string, string]]),
  ...(refs.order === undefined ? [] : [[k.order(refs.order.orderId), refs.order.skuId] as [string, string]]),
];

/** Redis adapters of both ports, under `prefix`. */
export const makeRedisIdempotency = (
  redis: Redis,
  prefix: string,
): { idempotency: IdempotencyStore; refs: RefStore } => {
  if (!("hfIdemClaim" in redis)) {
    redis.defineCommand("hfIdemClaim", { lua: CLAIM });
    redis.defineCommand("hfIdemRelease", { lua: RELEASE });
  }
  const r = redis as WithScripts;
  const k = refKeys(prefix);
  return {
    idempotency: {
      claim: async (scope, key, fingerprint, requestId, refs) => {
        const pairs = refPairs(k, requestId, refs);
        const [tag, rid] = await r.hfIdemClaim(
          1 + pairs.length,
          k.idem(scope, key),
          ...pairs.map(([key]) => key),
          fingerprint,
          requestId,
          String(IDEMPOTENCY_TTL_S),
          String(REFS_TTL_S),
          ...pairs.map(([, v]) => v),
        );
        if (tag === "claimed") return { _tag: "Claimed" };
        return tag === "replay" ? { _tag: "Replay", requestId: rid } : { _tag: "Mismatch", requestId: rid };
      },
      release: async (scope, key, fingerprint, requestId) => {
        await r.hfIdemRelease(1, k.idem(scope, key), `${fingerprint}|${requestId}`);
      },
    },
    refs: {
      requestOwner: (id) => redis.get(k.owner(id)),
      reservationSku: (id) => redis.get(k.reservation(id)),
      orderSku: (id) => redis.get(k.order(id)),
      note: async (requestId, refs) => {
        const pipe = redis.pipeline();
        for (const [key, v] of refPairs(k, requestId, refs)) pipe.set(key, v, "EX", REFS_TTL_S);
        await pipe.exec();
      },
    },
  };
};

/** In-memory adapters of both ports, for unit tests. */
export const makeMemoryIdempotency = (): { idempotency: IdempotencyStore; refs: RefStore } => {
  const claims = new Map<string, { fingerprint: string; requestId: string }>();
  const values = new Map<string, string>();
  const k = refKeys("");
  const note = async (requestId: string, refs: RequestRefs) => {
    for (const [key, v] of refPairs(k, requestId, refs)) values.set(key, v);
  };
  return {
    idempotency: {
      claim: async (scope, key, fingerprint, requestId, refs) => {
        const cur = claims.get(k.idem(scope, key));
        if (cur !== undefined)
          return cur.fingerprint === fingerprint
            ? { _tag: "Replay", requestId: cur.requestId }
            : { _tag: "Mismatch", requestId: cur.requestId };
        claims.set(k.idem(scope, key), { fingerprint, requestId });
        await note(requestId, refs);
        return { _tag: "Claimed" };
      },
      release: async (scope, key, fingerprint, requestId) => {
        const cur = claims.get(k.idem(scope, key));
        if (cur?.fingerprint === fingerprint && cur.requestId === requestId)
          claims.delete(k.idem(scope, key));
      },
    },
    refs: {
      requestOwner: async (id) => values.get(k.owner(id)) ?? null,
      reservationSku: async (id) => values.get(k.reservation(id)) ?? null,
      orderSku: async (id) => values.get(k.order(id)) ?? null,
      note,
    },
  };
};
