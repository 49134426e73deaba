import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { makeRateLimiter } from "./rate-limit.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = `hf-test-${randomUUID()}:`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe("token buckets in one Lua call", () => {
  it("allows the burst, then refuses with a Retry-After, without spending the other bucket", async () => {
    const limiter = makeRateLimiter(redis, { prefix });
    const shopper = { key: "shopper:alice", bucket: { burst: 3, perSecond: 0.5 } };
    const ip = { key: "ip:1.2.3.4", bucket: { burst: 100, perSecond: 10 } };
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.check([shopper, ip])());
    expect(results.slice(0, 3).every((r) => E.isRight(r) && r.right.allowed)).toBe(true);
    const last = results[3];
    expect(last).toEqual(E.right({ allowed: false, retryAfterSeconds: 2 }));
    // The refused request took nothing from the IP bucket: 100 - 3 left.
    const tokens = Number(await redis.hget(`${prefix}rl:ip:1.2.3.4`, "tokens"));
    expect(Math.floor(tokens)).toBe(97);
  });

  it("keeps shoppers apart", async () => {
    const limiter = makeRateLimiter(redis, { prefix });
    const bucket = { burst: 1, perSecond: 1 };
    expect(await limiter.check([{ key: "shopper:bob", bucket }])()).toEqual(E.right({ allowed: true }));
    expect(await limiter.check([{ key: "shopper:carol", bucket }])()).toEqual(E.right({ allowed: true }));
    const again = await limiter.check([{ key: "shopper:bob", bucket }])();
    expect(E.isRight(again) && again.right.allowed).toBe(false);
  });
});
