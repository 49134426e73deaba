import { randomUUID } from "node:crypto";
import type { RehearseOptions } from "./options.ts";

/** A seeded PRNG (mulberry32): the same seed gives the same sale. */
export const seeded = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** One shopper's reservation request, planned before the sale starts. */
export interface PlannedRequest {
  readonly index: number;
  readonly userId: string;
  readonly quantity: number;
  readonly allowPartial: boolean;
  readonly idempotencyKey: string;
  /** When it arrives, in ms after T0. */
  readonly atMs: number;
  /** The shopper re-sends it (same key, same body) after the answer, as an impatient shopper does. */
  readonly resend: boolean;
  /** The shopper checks out when the hold is granted. */
  readonly checkout: boolean;
}

/**
 * The sale's arrivals: a burst at T0 (a third of the requests in the first second, the flash sale's
 * opening), then an exponential decay over the window (time constant a third of it). Quantities are
 * mostly 1, sometimes 2 or 3 (3 exceeds the default per-shopper limit of 2); a third allow a partial
 * allocation; one in ten shoppers re-sends with the same Idempotency-Key.
 */
export const planRequests = (o: RehearseOptions): PlannedRequest[] => {
  const rnd = seeded(o.seed);
  const windowMs = o.durationSeconds * 1000;
  const tau = windowMs / 3;
  const tail = 1 - Math.exp(-windowMs / tau);
  const plans: PlannedRequest[] = [];
  for (let i = 0; i < o.requests; i++) {
    const burst = rnd() < 1 / 3;
    const atMs = burst ? rnd() * Math.min(1000, windowMs) : -tau * Math.log(1 - rnd() * tail);
    const q = rnd();
    plans.push({
      index: i,
      userId: `shopper-${Math.floor(rnd() * o.shoppers)}`,
      quantity: q < 0.7 ? 1 : q < 0.92 ? 2 : 3,
      allowPartial: rnd() < 1 / 3,
      idempotencyKey: randomUUID(),
      atMs,
      resend: rnd() < 0.1,
      checkout: rnd() < o.checkoutShare,
    });
  }
  return plans.sort((a, b) => a.atMs - b.atMs);
};
