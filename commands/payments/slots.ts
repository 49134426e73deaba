import { SagaStopped } from "./settle-order.ts";

/** A counting semaphore: at most `limit` holders; `acquire` waits (abortably) for a free slot. */
export interface Slots {
  acquire(signal: AbortSignal): Promise<void>;
  release(): void;
}

export const makeSlots = (limit: number): Slots => {
  let free = Math.max(1, limit);
  const waiters: Array<() => void> = [];
  return {
    acquire(signal) {
      if (signal.aborted) return Promise.reject(new SagaStopped());
      if (free > 0) {
        free -= 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = waiters.indexOf(grant);
          if (i >= 0) waiters.splice(i, 1);
          reject(new SagaStopped());
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiters.push(grant);
      });
    },
    release() {
      const next = waiters.shift();
      if (next === undefined) free += 1;
      else next(); // the slot passes straight to the next waiter
    },
  };
};
