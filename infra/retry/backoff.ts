/** A uniform draw in [0, 1): `Math.random` in production, seeded in tests. */
export type RandomSource = () => number;

/** The bounds of an exponential backoff: the first delay's cap and the largest cap (ms). */
export interface BackoffBounds {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter (AWS's "full jitter"), the one rule for every retry loop here
 * (the projectors' store retries, the payment saga's gateway and infrastructure retries):
 * `floor(random() × min(maxDelayMs, baseDelayMs × 2^attempt))` ms before retry number `attempt`
 * (0 = the first retry), so the retries of many workers after one blip spread out instead of arriving
 * together. The exponent stops at 30, so a long outage cannot overflow the product.
 *
 * @example backoffMs({ baseDelayMs: 100, maxDelayMs: 1_000 }, 3, () => 0.5) // 400
 */
export const backoffMs = (
  bounds: BackoffBounds,
  attempt: number,
  random: RandomSource = Math.random,
): number =>
  Math.floor(random() * Math.min(bounds.maxDelayMs, bounds.baseDelayMs * 2 ** Math.min(attempt, 30)));
