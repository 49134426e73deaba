import type { MiddlewareHandler } from "hono";
import { problem } from "../infra/http/problem.ts";

/**
 * Admission control for the write routes: past capacity, answer at once and honestly (503 unavailable
 * with Retry-After) instead of queueing work that cannot be decided within the wait budget, so a client
 * never meets a socket timeout and this process never holds an unbounded number of requests.
 *
 * A request is shed, before any other work (no token check, no Redis, no Kafka), when
 * - this process already holds `maxInFlight` requests; or
 * - the backlog says the queue is growing past what the wait budget can absorb: requests in flight
 *   divided by the recent answer rate (answers per second over the last second) exceeds twice the wait
 *   budget, and the oldest request in flight has already waited the whole budget (a burst that 202s can
 *   still answer is admitted; so is the first second of a burst, before there is a rate);
 * - the event loop is late: its mean delay over the last sample exceeds `maxLoopDelayMs` (then every
 *   answer is late anyway, and more work only makes it later).
 * A shed request was not claimed nor queued, so a retry with the same Idempotency-Key is decided once.
 */
export interface OverloadSignals {
  /** Requests admitted and not yet answered. */
  inFlight(): number;
  /** Answers per second over the last second. */
  answerRate(): number;
  /** Mean event-loop delay over the last sample, in ms. */
  loopDelayMs(): number;
  /** How long the oldest request in flight has waited, in ms (0 when none). */
  oldestWaitMs(): number;
}

export interface OverloadPolicy {
  readonly waitBudgetMs: number;
  readonly maxInFlight: number;
  readonly maxLoopDelayMs: number;
  /** Below this many requests in flight the backlog test is not applied (too little to estimate from). */
  readonly minInFlight: number;
}

export type ShedReason = "in-flight" | "backlog" | "event-loop";

/** Why to shed now, and for how long to ask the client to wait (s), or `null` to admit. */
export const shedDecision = (
  s: OverloadSignals,
  p: OverloadPolicy,
): { readonly reason: ShedReason; readonly retryAfterS: number } | null => {
  const inFlight = s.inFlight();
  if (inFlight >= p.maxInFlight) return { reason: "in-flight", retryAfterS: 1 };
  if (s.loopDelayMs() > p.maxLoopDelayMs) return { reason: "event-loop", retryAfterS: 1 };
  if (inFlight >= p.minInFlight && s.oldestWaitMs() > p.waitBudgetMs) {
    const expectedMs = (inFlight / Math.max(s.answerRate(), 1)) * 1000;
    if (expectedMs > 2 * p.waitBudgetMs)
      return { reason: "backlog", retryAfterS: Math.min(10, Math.max(1, Math.ceil(expectedMs / 1000))) };
  }
  return null;
};

export interface OverloadGuard {
  readonly middleware: MiddlewareHandler;
  readonly signals: OverloadSignals;
  readonly shed: () => number;
}

/**
 * The guard's state and middleware. `loopDelayMs` is supplied by the composition root (from
 * loop-delay.ts), so this module reads no clock but the one it is given.
 */
export const makeOverloadGuard = (
  policy: OverloadPolicy,
  deps: {
    readonly nowMs: () => number;
    readonly loopDelayMs: () => number;
    readonly onShed?: (reason: ShedReason) => void;
  },
): OverloadGuard => {
  let inFlight = 0;
  let shedCount = 0;
  // Admission times of the requests in flight, oldest first: an array with a moving head, where a
  // finished request is only marked (a Map's first key would skip every deleted entry before it).
  let started: Array<{ readonly at: number; done: boolean }> = [];
  let head = 0;
  // Answers per 100 ms slot over the last 10 slots: the rate over the last second, O(1) per answer.
  const slots = new Array<number>(10).fill(0);
  let slotAt = Math.floor(deps.nowMs() / 100);
  const advance = () => {
    const now = Math.floor(deps.nowMs() / 100);
    if (now - slotAt >= slots.length) slots.fill(0);
    else for (let t = slotAt + 1; t <= now; t++) slots[t % slots.length] = 0;
    slotAt = now;
  };
  const signals: OverloadSignals = {
    inFlight: () => inFlight,
    answerRate: () => {
      advance();
      let n = 0;
      for (const x of slots) n += x;
      return n;
    },
    loopDelayMs: deps.loopDelayMs,
    oldestWaitMs: () => {
      while (head < started.length && started[head]!.done) head++;
      if (head > 1024 && head * 2 > started.length) {
        started = started.slice(head);
        head = 0;
      }
      const first = started[head];
      return first === undefined ? 0 : deps.nowMs() - first.at;
    },
  };
  const middleware: MiddlewareHandler = async (c, next) => {
    const d = shedDecision(signals, policy);
    if (d !== null) {
      shedCount++;
      deps.onShed?.(d.reason);
      c.header("Retry-After", String(d.retryAfterS));
      return problem(c, "unavailable", `overloaded (${d.reason}); retry in ${d.retryAfterS} s`);
    }
    inFlight++;
    const admitted = { at: deps.nowMs(), done: false };
    started.push(admitted);
    try {
      await next();
    } finally {
      inFlight--;
      admitted.done = true;
      if (inFlight === 0) {
        started = [];
        head = 0;
      }
      advance();
      slots[slotAt % slots.length]! += 1;
    }
  };
  return { middleware, signals, shed: () => shedCount };
};
