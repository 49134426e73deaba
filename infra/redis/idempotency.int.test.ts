import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type AdmitRequest, type ClaimRequest, makeRedisIdempotency } from "./idempotency.ts";
import { outcomeKey } from "./outcomes.ts";

/** The admission script on a real Redis: rate limits and the claim with its state, in one call. */
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = `hf-test-${randomUUID()}:`;
const store = makeRedisIdempotency(redis, prefix);

/** The Right of a task that must succeed here (Redis is up). */
const right = async <A>(task: TE.TaskEither<unknown, A>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(`expected an answer: ${JSON.stringify(r.left)}`);
  return r.right;
};
const idempotency = {
  admit: (req: AdmitRequest) => right(store.idempotency.admit(req)),
  markQueued: (scope: string, key: string, requestId: string) =>
    right(store.idempotency.markQueued(scope, key, requestId)),
};
const refs = { requestOwner: (id: string) => right(store.refs.requestOwner(id)) };

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const claim = (over: Partial<ClaimRequest> = {}): ClaimRequest => ({
  scope: "alice",
  key: randomUUID(),
  fingerprint: "fp-1",
  requestId: randomUUID(),
  refs: { owner: "alice", reservation: { reservationId: randomUUID(), skuId: "tee" } },
  command: '{"the":"command"}',
  answer: null,
  ...over,
});

describe("admission: rate limits + claim in one Redis call", () => {
  it("claims once; duplicates see it in flight, then take it over after the lease with the stored command", async () => {
    const first = claim();
    expect(await idempotency.admit({ buckets: [], claim: first, leaseMs: 60_000 })).toEqual({
      _tag: "Claimed",
    });
    expect(await refs.requestOwner(first.requestId)).toBe("alice");
    const dup = { ...first, requestId: randomUUID(), command: "other" };
    const inFlight = await idempotency.admit({ buckets: [], claim: dup, leaseMs: 60_000 });
    expect(inFlight).toMatchObject({ _tag: "InFlight", requestId: first.requestId });
    // A lease of 1 ms is long over: the duplicate takes over, with the FIRST request's id and command.
    expect(await idempotency.admit({ buckets: [], claim: dup, leaseMs: 1 })).toEqual({
      _tag: "Takeover",
      requestId: first.requestId,
      command: first.command,
    });
    await idempotency.markQueued(first.scope, first.key, first.requestId);
    expect(await idempotency.admit({ buckets: [], claim: dup, leaseMs: 1 })).toEqual({
      _tag: "Queued",
      requestId: first.requestId,
    });
    expect(
      await idempotency.admit({ buckets: [], claim: { ...dup, fingerprint: "fp-2" }, leaseMs: 1 }),
    ).toEqual({
      _tag: "Mismatch",
      requestId: first.requestId,
    });
  });

  it("a claim whose outcome is stored is queued without being marked: no takeover, no second command", async () => {
    const first = claim();
    await idempotency.admit({ buckets: [], claim: first, leaseMs: 60_000 });
    const dup = { ...first, requestId: randomUUID(), command: "other" };
    // The handler stored the first request's outcome; the write API answered with it and marked nothing.
    await redis.set(outcomeKey(prefix, first.requestId), '{"the":"outcome"}');
    for (const leaseMs of [60_000, 1])
      expect(await idempotency.admit({ buckets: [], claim: dup, leaseMs })).toEqual({
        _tag: "Queued",
        requestId: first.requestId,
      });
    // The references were written by the claim and still lead to the first request.
    expect(await refs.requestOwner(first.requestId)).toBe("alice");
    expect(await refs.requestOwner(dup.requestId)).toBeNull();
  });

  it("records an edge refusal as the key's answer and replays it", async () => {
    const answer = { status: 409, headers: { "Content-Type": "application/problem+json" }, body: '{"x":1}' };
    const c = claim({ answer });
    expect(await idempotency.admit({ buckets: [], claim: c, leaseMs: 1000 })).toEqual({ _tag: "Refused" });
    const replay = await idempotency.admit({ buckets: [], claim: { ...c, answer: null }, leaseMs: 1000 });
    expect(replay).toEqual({ _tag: "Answered", answer });
  });

  it("a rate-limited request claims nothing and spends nothing; one without a key only spends tokens", async () => {
    const bucket = { key: `shopper:${randomUUID()}`, bucket: { burst: 1, perSecond: 0.1 } };
    expect(await idempotency.admit({ buckets: [bucket], claim: null, leaseMs: 1000 })).toEqual({
      _tag: "Allowed",
    });
    const c = claim();
    const limited = await idempotency.admit({ buckets: [bucket], claim: c, leaseMs: 1000 });
    expect(limited).toEqual({ _tag: "RateLimited", retryAfterSeconds: 10 });
    expect(await redis.exists(`${prefix}idem2:${c.scope}:${c.key}`)).toBe(0);
    expect(await refs.requestOwner(c.requestId)).toBeNull();
  });

  it("a Redis that does not answer is a value (IdempotencyUnavailable), not a throw", async () => {
    // Nothing listens on this port (inside this suite's range); no offline queue, no retries.
    const down = new Redis({
      port: 19199,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    down.on("error", () => undefined);
    try {
      const { idempotency: idem, refs: r } = makeRedisIdempotency(down, prefix);
      const admitted = await idem.admit({ buckets: [], claim: claim(), leaseMs: 1000 })();
      expect(E.isLeft(admitted) && admitted.left._tag).toBe("IdempotencyUnavailable");
      const owner = await r.requestOwner(randomUUID())();
      expect(E.isLeft(owner) && owner.left._tag).toBe("IdempotencyUnavailable");
    } finally {
      down.disconnect();
    }
  });
});
