import { nextHoldDeadline } from "../../domain/sku/index.ts";
import type { EdgeView } from "../../infra/redis/edge-availability.ts";
import type { SkuEntry } from "./sku-cache.ts";

/**
 * The SKU's figures as the handler knows them after an append (the state folded through the chunk's
 * last event), for the write API's sold-out check. `null` before the SKU is listed or the stream exists.
 */
export const edgeViewOf = (entry: SkuEntry): EdgeView | null => {
  const s = entry.state;
  if (s._tag !== "Listed" || entry.tip === null) return null;
  return {
    skuId: entry.skuId,
    revision: entry.tip.revision,
    total: s.stock,
    available: s.stock - s.held - s.sold,
    held: s.held,
    sold: s.sold,
    closed: s.closed,
    saleStartsAt: s.terms.saleStartsAt,
    saleEndsAt: s.terms.saleEndsAt,
    nextReleaseAt: nextHoldDeadline(s),
    source: "handler",
  };
};
