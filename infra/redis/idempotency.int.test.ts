import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type ClaimRequest, makeRedisIdempotency } from "./idempotency.ts";

/** The admission script on a real Redis: rate limits and the claim with its state, in one call. */
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = `hf-test-${randomUUID()}:`;
const { idempotency, refs } = makeRedisIdempotency(redis, prefix);

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
});
