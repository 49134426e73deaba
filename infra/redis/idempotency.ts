import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Redis } from "ioredis";
import { outcomeKey } from "./outcomes.ts";
import { type BucketCheck, bucketArgs, NOW_LUA, retryAfterSecondsOf, TAKE_TOKENS_LUA } from "./rate-limit.ts";
import { messageOf } from "../errors/message-of.ts";

/**
 * Admission of a write request: its rate limits AND its `Idempotency-Key` claim in ONE Redis call (one
 * Lua script, EVALSHA). A claim binds (scope, key) to the request's fingerprint, the requestId that will
 * answer it, and a STATE, so a crash anywhere between claim and enqueue is repaired by the client's
 * retry with the same key, and a request id is never answered `pending` unless its command is on the
 * queue:
 *
 * - `claimed` (c): the command (stored in the claim) may not have reached the queue yet. Whoever claimed
 *   it holds a lease (`leaseMs`, renewed by nobody). Within the lease a duplicate waits (`InFlight`);
 *   after it, the next duplicate TAKES OVER and enqueues the stored command again, with the same request
 *   id: if the first copy did reach the queue after all, the handler refuses to decide a request id
 *   twice and answers both with the one decision.
 * - `queued` (q): the producer acknowledged the command (`markQueued`); duplicates wait for its outcome.
 *   A claim whose request id has an outcome stored (`outcome:<requestId>`, written by the handler) is
 *   queued too, marked or not: so the write API marks a claim only when it answers without the decision
 *   (202), and a request decided within its wait costs one Redis call, not two.
 * - `answered` (a): refused at the edge (e.g. 409 sold-out from the availability view, no request id):
 *   that answer is recorded as the key's answer and replayed to every duplicate, even after a restock.
 *
 * Same key, other fingerprint: `Mismatch` (422). The claim also writes the request's references (who
 * owns the request, which SKU a reservation or an order belongs to), so a claimed request can always be
 * found again. Claims live `IDEMPOTENCY_TTL_S`.
 */
export type Admission =
  | { readonly _tag: "RateLimited"; readonly retryAfterSeconds: number }
  /** No claim asked for (a route without a key) and the rate limits allow it. */
  | { readonly _tag: "Allowed" }
  /** New claim in state `claimed`: enqueue, then `markQueued`. */
  | { readonly _tag: "Claimed" }
  /** New claim answered at the edge: the given answer is now the key's answer. */
  | { readonly _tag: "Refused" }
  | { readonly _tag: "Mismatch"; readonly requestId: string }
  | { readonly _tag: "Answered"; readonly answer: RecordedAnswer }
  | { readonly _tag: "Queued"; readonly requestId: string }
  | { readonly _tag: "InFlight"; readonly requestId: string; readonly leaseLeftMs: number }
  /** The claim's command may never have reached the queue: enqueue `command` (the encoded QueuedCommand). */
  | { readonly _tag: "Takeover"; readonly requestId: string; readonly command: string };

/** An HTTP answer given without a decision (an edge refusal), replayed as it was. */
export interface RecordedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ClaimRequest {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly requestId: string;
  readonly refs: RequestRefs;
  /** The encoded QueuedCommand, kept while the claim is `claimed` so a retry can enqueue it. */
  readonly command: string;
  /** An edge refusal to record instead of claiming for a command (`Refused`). */
  readonly answer: RecordedAnswer | null;
}

export interface AdmitRequest {
  readonly buckets: ReadonlyArray<BucketCheck>;
  readonly claim: ClaimRequest | null;
  /** How long a fresh (or taken-over) claim is presumed to be on its way to the queue. */
  readonly leaseMs: number;
}

export interface RequestRefs {
  /** The shopper (or admin) the request belongs to. */
  readonly owner: string;
  readonly reservation?: { readonly reservationId: string; readonly skuId: string };
  readonly order?: { readonly orderId: string; readonly skuId: string };
}

/** Redis did not answer, or answered what no script of ours returns. */
export interface IdempotencyUnavailable {
  readonly _tag: "IdempotencyUnavailable";
  readonly message: string;
}

export interface IdempotencyStore {
  admit(req: AdmitRequest): TE.TaskEither<IdempotencyUnavailable, Admission>;
  /**
   * The claim's command is on the queue (the producer acknowledged it). Needed only before answering
   * without the decision: a claim whose outcome is stored already counts as queued.
   */
  markQueued(scope: string, key: string, requestId: string): TE.TaskEither<IdempotencyUnavailable, void>;
}

/** Where requests, reservations and orders lead (written with the claim, read by later requests). */
export interface RefStore {
  requestOwner(requestId: string): TE.TaskEither<IdempotencyUnavailable, string | null>;
  reservationSku(reservationId: string): TE.TaskEither<IdempotencyUnavailable, string | null>;
  orderSku(orderId: string): TE.TaskEither<IdempotencyUnavailable, string | null>;
  /** Record references without an idempotency claim (e.g. a cancellation). */
  note(requestId: string, refs: RequestRefs): TE.TaskEither<IdempotencyUnavailable, void>;
}

const unavailable = (e: unknown): IdempotencyUnavailable => ({
  _tag: "IdempotencyUnavailable",
  message: messageOf(e),
});

/** A Redis call as a task whose rejection (the driver's error) is a value. */
const attempt =
  <A>(f: () => Promise<A>): TE.TaskEither<IdempotencyUnavailable, A> =>
  () =>
    f().then(E.right, (e: unknown) => E.left(unavailable(e)));

export const IDEMPOTENCY_TTL_S = 24 * 3600;
/** Reservation and order references outlive any hold and any payment retry. */
export const REFS_TTL_S = 30 * 24 * 3600;

// KEYS: nb bucket keys, then (when claiming) the claim key and the reference keys.
// ARGV: nb, 3 per bucket, then claiming ('1'/'0'), fingerprint, requestId, ttl, refs ttl, lease ms,
// command, answer ('' for none), the outcome keys' prefix, then one value per reference key. The
// outcome key read is the claim's own request id's, known only once the claim is read: on a Redis
// cluster it needs the claim's hash tag (as every key of these scripts does).
const ADMIT = `${TAKE_TOKENS_LUA}${NOW_LUA}
local nb = tonumber(ARGV[1])
local wait = take_tokens(nb, 1, now)
if wait > 0 then return {'limited', tostring(wait)} end
local a = 2 + nb * 3
if ARGV[a] ~= '1' then return {'allowed'} end
local k = KEYS[nb + 1]
local fp = ARGV[a + 1]
local lease = tonumber(ARGV[a + 5])
local cur = redis.call('HMGET', k, 'f', 'r', 's', 't', 'c', 'a')
if cur[1] then
  if cur[1] ~= fp then return {'mismatch', cur[2]} end
  if cur[3] == 'a' then return {'answered', cur[2], cur[6]} end
  if cur[3] == 'q' then return {'queued', cur[2]} end
  if cur[2] ~= '' and redis.call('EXISTS', ARGV[a + 8] .. cur[2]) == 1 then return {'queued', cur[2]} end
  local age = now - tonumber(cur[4])
  if age < lease then return {'inflight', cur[2], tostring(lease - age)} end
  redis.call('HSET', k, 't', tostring(now))
  return {'takeover', cur[2], cur[5]}
end
if ARGV[a + 7] ~= '' then
  redis.call('HSET', k, 'f', fp, 'r', '', 's', 'a', 't', tostring(now), 'a', ARGV[a + 7])
  redis.call('EXPIRE', k, ARGV[a + 3])
  return {'refused'}
end
redis.call('HSET', k, 'f', fp, 'r', ARGV[a + 2], 's', 'c', 't', tostring(now), 'c', ARGV[a + 6])
redis.call('EXPIRE', k, ARGV[a + 3])
for i = nb + 2, #KEYS do redis.call('SET', KEYS[i], ARGV[a + 9 + i - nb - 2], 'EX', ARGV[a + 4]) end
return {'claimed'}
`;

const MARK_QUEUED = `
if redis.call('HGET', KEYS[1], 'r') == ARGV[1] and redis.call('HGET', KEYS[1], 's') == 'c' then
  redis.call('HSET', KEYS[1], 's', 'q')
  redis.call('HDEL', KEYS[1], 'c')
  return 1
end
return 0
`;

type WithScripts = Redis & {
  hfAdmit(n: number, ...args: Array<string | number>): Promise<string[]>;
  hfMarkQueued(n: number, ...args: string[]): Promise<number>;
};

export const refKeys = (prefix: string) => ({
  // `idem2:` (a hash with the claim's state), not the earlier `idem:` string keys.
  idem: (scope: string, key: string) => `${prefix}idem2:${scope}:${key}`,
  owner: (requestId: string) => `${prefix}req-owner:${requestId}`,
  reservation: (id: string) => `${prefix}res-sku:${id}`,
  order: (id: string) => `${prefix}order-sku:${id}`,
  bucket: (key: string) => `${prefix}rl:${key}`,
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

const decodeAnswer = (text: string | undefined): RecordedAnswer => {
  try {
    const v = JSON.parse(text ?? "") as RecordedAnswer;
    if (typeof v.status === "number" && typeof v.body === "string") return v;
  } catch {
    // fall through
  }
  return { status: 503, headers: { "Content-Type": "text/plain" }, body: "unreadable recorded answer" };
};

const admissionOf = (r: ReadonlyArray<string>): E.Either<IdempotencyUnavailable, Admission> => {
  const [tag, a = "", b = ""] = r;
  switch (tag) {
    case "limited":
      return E.right({ _tag: "RateLimited", retryAfterSeconds: retryAfterSecondsOf(Number(a)) });
    case "allowed":
      return E.right({ _tag: "Allowed" });
    case "claimed":
      return E.right({ _tag: "Claimed" });
    case "refused":
      return E.right({ _tag: "Refused" });
    case "mismatch":
      return E.right({ _tag: "Mismatch", requestId: a });
    case "answered":
      return E.right({ _tag: "Answered", answer: decodeAnswer(b) });
    case "queued":
      return E.right({ _tag: "Queued", requestId: a });
    case "inflight":
      return E.right({ _tag: "InFlight", requestId: a, leaseLeftMs: Number(b) });
    case "takeover":
      return E.right({ _tag: "Takeover", requestId: a, command: b });
    default:
      return E.left({ _tag: "IdempotencyUnavailable", message: `unexpected admission ${JSON.stringify(r)}` });
  }
};

/** Redis adapters of both ports, under `prefix`. */
export const makeRedisIdempotency = (
  redis: Redis,
  prefix: string,
): { idempotency: IdempotencyStore; refs: RefStore } => {
  if (!("hfAdmit" in redis)) {
    // defineCommand sends EVALSHA and falls back to EVAL once when the script cache is empty (NOSCRIPT).
    redis.defineCommand("hfAdmit", { lua: ADMIT });
    redis.defineCommand("hfMarkQueued", { lua: MARK_QUEUED });
  }
  const r = redis as WithScripts;
  const k = refKeys(prefix);
  return {
    idempotency: {
      admit: ({ buckets, claim, leaseMs }) => {
        const keys = buckets.map((b) => k.bucket(b.key));
        const args: Array<string | number> = [buckets.length, ...bucketArgs(buckets)];
        if (claim === null) args.push("0");
        else {
          const pairs = claim.answer === null ? refPairs(k, claim.requestId, claim.refs) : [];
          keys.push(k.idem(claim.scope, claim.key), ...pairs.map(([key]) => key));
          args.push(
            "1",
            claim.fingerprint,
            claim.requestId,
            IDEMPOTENCY_TTL_S,
            REFS_TTL_S,
            Math.max(1, Math.round(leaseMs)),
            claim.command,
            claim.answer === null ? "" : JSON.stringify(claim.answer),
            outcomeKey(prefix, ""),
            ...pairs.map(([, v]) => v),
          );
        }
        return () =>
          r.hfAdmit(keys.length, ...keys, ...args).then(admissionOf, (e: unknown) => E.left(unavailable(e)));
      },
      markQueued: (scope, key, requestId) =>
        attempt(async () => {
          await r.hfMarkQueued(1, k.idem(scope, key), requestId);
        }),
    },
    refs: {
      requestOwner: (id) => attempt(() => redis.get(k.owner(id))),
      reservationSku: (id) => attempt(() => redis.get(k.reservation(id))),
      orderSku: (id) => attempt(() => redis.get(k.order(id))),
      note: (requestId, refs) =>
        attempt(async () => {
          const pipe = redis.pipeline();
          for (const [key, v] of refPairs(k, requestId, refs)) pipe.set(key, v, "EX", REFS_TTL_S);
          // exec resolves with each command's error beside its reply: a failed SET is a failed note.
          const failed = (await pipe.exec())?.find(([e]) => e !== null);
          if (failed !== undefined) throw failed[0];
        }),
    },
  };
};

/**
 * In-memory adapters of both ports, for unit tests (no rate limiting: buckets always allow). `decided`
 * tells whether a request id's outcome is stored (the Redis adapter reads its outcome key).
 */
export const makeMemoryIdempotency = (
  opts: { readonly nowMs?: () => number; readonly decided?: (requestId: string) => boolean } = {},
): { idempotency: IdempotencyStore; refs: RefStore } => {
  const nowMs = opts.nowMs ?? Date.now;
  const claims = new Map<
    string,
    {
      fp: string;
      rid: string;
      state: "c" | "q" | "a";
      at: number;
      command: string;
      answer: RecordedAnswer | null;
    }
  >();
  const values = new Map<string, string>();
  const k = refKeys("");
  const note = (requestId: string, refs: RequestRefs) => {
    for (const [key, v] of refPairs(k, requestId, refs)) values.set(key, v);
  };
  const now =
    <A>(a: A): TE.TaskEither<never, A> =>
    () =>
      Promise.resolve(E.right(a));
  return {
    idempotency: {
      admit: (req) => now(admitNow(req)),
      markQueued: (scope, key, requestId) => {
        const cur = claims.get(k.idem(scope, key));
        if (cur?.rid === requestId && cur.state === "c") {
          cur.state = "q";
          cur.command = "";
        }
        return now(undefined);
      },
    },
    refs: {
      requestOwner: (id) => now(values.get(k.owner(id)) ?? null),
      reservationSku: (id) => now(values.get(k.reservation(id)) ?? null),
      orderSku: (id) => now(values.get(k.order(id)) ?? null),
      note: (requestId, refs) => now(note(requestId, refs)),
    },
  };
  function admitNow({ claim, leaseMs }: AdmitRequest): Admission {
    if (claim === null) return { _tag: "Allowed" };
    const id = k.idem(claim.scope, claim.key);
    const cur = claims.get(id);
    if (cur !== undefined) {
      if (cur.fp !== claim.fingerprint) return { _tag: "Mismatch", requestId: cur.rid };
      if (cur.state === "a" && cur.answer !== null) return { _tag: "Answered", answer: cur.answer };
      if (cur.state === "q" || (cur.rid !== "" && opts.decided?.(cur.rid) === true))
        return { _tag: "Queued", requestId: cur.rid };
      const age = nowMs() - cur.at;
      if (age < leaseMs) return { _tag: "InFlight", requestId: cur.rid, leaseLeftMs: leaseMs - age };
      cur.at = nowMs();
      return { _tag: "Takeover", requestId: cur.rid, command: cur.command };
    }
    if (claim.answer !== null) {
      claims.set(id, {
        fp: claim.fingerprint,
        rid: "",
        state: "a",
        at: nowMs(),
        command: "",
        answer: claim.answer,
      });
      return { _tag: "Refused" };
    }
    claims.set(id, {
      fp: claim.fingerprint,
      rid: claim.requestId,
      state: "c",
      at: nowMs(),
      command: claim.command,
      answer: null,
    });
    note(claim.requestId, claim.refs);
    return { _tag: "Claimed" };
  }
};
