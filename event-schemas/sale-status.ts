/** A sale's status as the availability routes answer it (API.md). */
export type SaleStatus = "scheduled" | "open" | "sold_out" | "closed";

/** What the status depends on: the sale's window (epoch ms, `null` when unbounded) and what is left. */
export interface SaleFigures {
  readonly closed: boolean;
  readonly saleStartsAtMs: number | null;
  readonly saleEndsAtMs: number | null;
  readonly available: number;
}

/**
 * The one rule for a sale's status at `nowMs`, shared by the domain's queries and the Redis view's
 * readers: `closed` when the sale was closed or its end has passed, `scheduled` before its start,
 * `sold_out` when nothing is available, `open` otherwise. `sold_out` does not mean "no holds
 * outstanding": a caller that needs that (the write API's edge check) also looks at `held`.
 *
 * @example saleStatusAt({ closed: false, saleStartsAtMs: null, saleEndsAtMs: null, available: 0 }, now) // "sold_out"
 */
export const saleStatusAt = (f: SaleFigures, nowMs: number): SaleStatus => {
  if (f.closed || (f.saleEndsAtMs !== null && nowMs >= f.saleEndsAtMs)) return "closed";
  if (f.saleStartsAtMs !== null && nowMs < f.saleStartsAtMs) return "scheduled";
  return f.available <= 0 ? "sold_out" : "open";
};
