import { randomUUID } from "node:crypto";
import type { SkuEvent } from "../../event-schemas/index.ts";
import {
  cancelled,
  expired,
  listed,
  orderPlaced,
  paid,
  paymentFailed,
  placed,
  rejected,
} from "../../event-schemas/testing/sku-events.ts";

/**
 * A flash-sale-shaped event mix for benchmarks: per SKU a listing, then rounds of holds that are
 * cancelled, expire, or become orders that are paid or fail, plus rejections. `next(n)` yields the next
 * n events of one SKU; stock is large enough never to run out.
 */
export const saleWorkload = (skuId: string) => {
  let started = false;
  let i = 0;
  const pending: SkuEvent[] = [];
  const refill = () => {
    const r = randomUUID();
    const u = `shopper-${i % 5000}`;
    switch (i % 6) {
      case 0:
      case 1: {
        const o = randomUUID();
        pending.push(placed(r, u, 1), orderPlaced(o, r, u, 1, 2500), paid(o, r, 1));
        break;
      }
      case 2:
        pending.push(placed(r, u, 2), cancelled(r, u, 2));
        break;
      case 3:
        pending.push(placed(r, u, 1), expired(r, u, 1));
        break;
      case 4: {
        const o = randomUUID();
        pending.push(placed(r, u, 1), orderPlaced(o, r, u, 1, 2500), paymentFailed(o, r, 1));
        break;
      }
      default:
        pending.push(rejected(u));
    }
    i += 1;
  };
  return {
    next: (n: number): SkuEvent[] => {
      const out: SkuEvent[] = [];
      if (!started) {
        started = true;
        out.push(
          listed(skuId, {
            stock: 100_000_000,
            name: `Bench item ${skuId}`,
            description: "benchmark product",
          }),
        );
      }
      while (out.length < n) {
        if (pending.length === 0) refill();
        out.push(pending.shift() as SkuEvent);
      }
      return out;
    },
  };
};
