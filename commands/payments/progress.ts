import type { GlobalPosition } from "../../infra/event-store/port.ts";

/**
 * The saga's checkpoint under concurrency: a low-water mark. Orders are settled concurrently and finish
 * out of order, but the checkpoint only moves past an order once it is settled and its outcome command
 * enqueued (or recorded as settled in the attempts table). Each pending order remembers the last position
 * seen before it; the safe checkpoint is that position for the oldest pending order, or the last position
 * seen when nothing is pending. After a crash the saga re-reads from the checkpoint, so it sees every
 * unsettled order again (and some settled ones, which the attempts table lets it skip).
 *
 * @example
 *   const p = makeProgress(null);
 *   p.begin(5n); p.seen(6n); p.begin(7n); p.done(7n);
 *   p.safe(); // null: order 5 is still pending and nothing was seen before it
 *   p.done(5n); p.safe(); // 7n
 */
export interface Progress {
  /** An event that needs no work (or whose work finished before returning). */
  seen(position: GlobalPosition): void;
  /** An order whose settlement starts now. */
  begin(position: GlobalPosition): void;
  /** That order is settled. */
  done(position: GlobalPosition): void;
  /** The position it is safe to resume after. */
  safe(): GlobalPosition | null;
  pendingCount(): number;
}

export const makeProgress = (start: GlobalPosition | null): Progress => {
  let lastSeen = start;
  // Insertion order is feed order, so the first entry is the oldest pending order.
  const pending = new Map<GlobalPosition, { readonly before: GlobalPosition | null; finished: boolean }>();
  return {
    seen(position) {
      lastSeen = position;
    },
    begin(position) {
      pending.set(position, { before: lastSeen, finished: false });
      lastSeen = position;
    },
    done(position) {
      const entry = pending.get(position);
      if (entry !== undefined) entry.finished = true;
    },
    safe() {
      for (const [position, entry] of pending) {
        if (!entry.finished) return entry.before;
        pending.delete(position);
      }
      return lastSeen;
    },
    pendingCount: () => [...pending.values()].filter((e) => !e.finished).length,
  };
};
