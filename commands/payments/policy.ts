/**
 * How hard the saga tries before it gives an order up as unresolved.
 *
 * - `maxChargeAttempts`: charge calls per round (the first and its retries) before asking for status.
 * - `baseDelayMs`/`maxDelayMs`: exponential backoff with full jitter between calls (`backoffMs` of
 *   `infra/retry/backoff.ts`), so retries of many orders after one gateway blip spread out.
 * - `deadlineMs`: from the order's first attempt; past it, an unknown outcome is recorded as unresolved.
 * - `whenNotCharged`: when the status query says the key was never charged after a round of failed
 *   calls, `"retry"` runs another round (until the deadline), `"fail"` records the payment as failed.
 * - `concurrency`: orders in flight at once (one slow payment must not block the others).
 */
export interface SagaPolicy {
  readonly maxChargeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly deadlineMs: number;
  readonly whenNotCharged: "retry" | "fail";
  readonly concurrency: number;
}

export const defaultSagaPolicy: SagaPolicy = {
  maxChargeAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  deadlineMs: 60_000,
  whenNotCharged: "retry",
  concurrency: 64,
};
