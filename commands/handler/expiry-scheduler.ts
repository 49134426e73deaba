/**
 * The first layer of hold expiry: one timer per SKU, armed at the SKU's next hold deadline, which
 * enqueues an `ExpireHolds` command for it. Re-armed after every batch the handler decides. Duplicates
 * (two handlers, a re-arm racing a fire) are harmless: expiring is idempotent in the domain.
 */
export interface ExpiryScheduler {
  /** Arm (or re-arm, or with `null` disarm) the SKU's timer. */
  arm(skuId: string, deadline: string | null): void;
  stop(): void;
}

/** setTimeout's ceiling; a later deadline is re-armed when this fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Fire just after the deadline, so the domain (which compares with `now`) sees the hold as due. */
const GRACE_MS = 20;
const RETRY_MS = 1000;

export const makeExpiryScheduler = (deps: {
  readonly expire: (skuId: string) => Promise<void>;
  readonly nowMs: () => number;
  readonly onError: (skuId: string, e: unknown) => void;
}): ExpiryScheduler => {
  const timers = new Map<string, { readonly at: number; readonly timer: NodeJS.Timeout }>();
  let stopped = false;
  const arm = (skuId: string, deadline: string | null): void => {
    if (stopped) return;
    const at = deadline === null ? null : Date.parse(deadline) + GRACE_MS;
    const current = timers.get(skuId);
    if (current !== undefined && current.at === at) return;
    if (current !== undefined) clearTimeout(current.timer);
    timers.delete(skuId);
    if (at === null) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, at - deps.nowMs()));
    const timer = setTimeout(() => {
      timers.delete(skuId);
      if (stopped) return;
      if (at > deps.nowMs()) return arm(skuId, deadline);
      deps.expire(skuId).catch((e: unknown) => {
        deps.onError(skuId, e);
        // Try again later unless a batch re-armed the SKU meanwhile.
        if (!timers.has(skuId)) {
          const retry = setTimeout(() => {
            timers.delete(skuId);
            arm(skuId, deadline);
          }, RETRY_MS);
          retry.unref();
          timers.set(skuId, { at: Number.NaN, timer: retry });
        }
      });
    }, delay);
    timer.unref();
    timers.set(skuId, { at, timer });
  };
  return {
    arm,
    stop: () => {
      stopped = true;
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
};
