import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { backoffMs } from "../../infra/retry/backoff.ts";
import { defaultSagaPolicy } from "./policy.ts";
import { makeProgress } from "./progress.ts";

describe("saga checkpoint (low-water mark)", () => {
  it("never passes an order still being settled", () => {
    const p = makeProgress(10n);
    p.seen(11n);
    p.begin(12n);
    p.seen(13n);
    p.begin(14n);
    p.seen(15n);
    expect(p.safe()).toBe(11n);
    p.done(14n);
    expect(p.safe()).toBe(11n);
    p.done(12n);
    expect(p.safe()).toBe(15n);
  });

  it("stays at the start when the first event is a pending order", () => {
    const p = makeProgress(null);
    p.begin(1n);
    expect(p.safe()).toBeNull();
  });

  it("for any completion order, the checkpoint is below every unfinished order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.func(fc.boolean()),
        (isOrder, finishes) => {
          const p = makeProgress(0n);
          const pending = new Set<bigint>();
          isOrder.forEach((order, i) => {
            const pos = BigInt(i + 1);
            if (order) {
              p.begin(pos);
              pending.add(pos);
            } else p.seen(pos);
            for (const q of [...pending])
              if (finishes(Number(q), i)) {
                p.done(q);
                pending.delete(q);
              }
            const safe = p.safe() ?? 0n;
            for (const q of pending) expect(safe).toBeLessThan(q);
          });
          if (pending.size === 0) expect(p.safe()).toBe(BigInt(isOrder.length));
        },
      ),
    );
  });
});

describe("backoff with full jitter", () => {
  it("stays within [0, min(maxDelay, base × 2^attempt))", () => {
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const d = backoffMs(defaultSagaPolicy, attempt, () => r);
        const cap = Math.min(defaultSagaPolicy.maxDelayMs, defaultSagaPolicy.baseDelayMs * 2 ** attempt);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(cap);
      }),
    );
  });
});
