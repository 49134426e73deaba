/**
 * The holds that may expire, ordered by deadline (then by arrival, so expiry is FIFO among equal
 * deadlines). Deadlines are `now + holdSeconds` with one `holdSeconds` per SKU, so they arrive almost
 * always in order: an append is O(1) and finding the due holds is a scan from the head.
 *
 * Persistence without copying, as with Go slices: a queue is a window `[head, len)` over an array that
 * may be shared with older queues. Entries inside a window are never changed; a queue may append in
 * place only when nobody has appended past its `len` (`arr.length === len`), otherwise it copies its
 * window first. Entries of holds that stopped being holds (cancelled, ordered) are left in place and
 * skipped when met (lazy deletion); `dropWhile` advances the head past them.
 */
export interface HoldEntry {
  readonly expiresAtMs: number;
  readonly reservationId: string;
}

export interface HoldQueue {
  readonly arr: HoldEntry[];
  readonly head: number;
  readonly len: number;
}

export const emptyHoldQueue = (): HoldQueue => ({ arr: [], head: 0, len: 0 });

const window = (q: HoldQueue): HoldEntry[] => q.arr.slice(q.head, q.len);

/** Append a hold, keeping the order by deadline. O(1) when in order, O(n) when out of order (rare). */
export const pushHold = (q: HoldQueue, entry: HoldEntry): HoldQueue => {
  const last = q.len > q.head ? q.arr[q.len - 1]! : undefined;
  if (last === undefined || last.expiresAtMs <= entry.expiresAtMs) {
    if (q.arr.length === q.len) {
      q.arr.push(entry);
      return { arr: q.arr, head: q.head, len: q.len + 1 };
    }
    const arr = window(q);
    arr.push(entry);
    return { arr, head: 0, len: arr.length };
  }
  // Out of order: insert after every entry with a deadline <= this one (FIFO among equals).
  const arr = window(q);
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]!.expiresAtMs <= entry.expiresAtMs) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, entry);
  return { arr, head: 0, len: arr.length };
};

/** Advance the head past entries for which `stale` holds; compacts the array when the head is far in. */
export const dropWhile = (q: HoldQueue, stale: (e: HoldEntry) => boolean): HoldQueue => {
  let head = q.head;
  while (head < q.len && stale(q.arr[head]!)) head += 1;
  if (head === q.head) return q;
  if (head > 4096 && head * 2 > q.len) {
    const arr = q.arr.slice(head, q.len);
    return { arr, head: 0, len: arr.length };
  }
  return { arr: q.arr, head, len: q.len };
};
