import * as E from "fp-ts/lib/Either.js";
import type { EventStore, RecordedEvent, StoreError } from "../../infra/event-store/port.ts";

/** One slot of a stream as the auditor sees it: an event, or a row the store refuses to hand back. */
export type StreamItem =
  | { readonly _tag: "Event"; readonly recorded: RecordedEvent }
  | { readonly _tag: "Unreadable"; readonly revision: number; readonly message: string };

export interface PageOptions {
  readonly pageSize?: number;
  /** Stop after this revision (inclusive). */
  readonly to?: number;
}

/**
 * Walk a stream page by page (constant memory), in revision order, handing each page to `onPage`.
 * `onPage` returns false to stop early.
 *
 * A store that verifies on read (PostgreSQL, memory) refuses a whole page when one stored event no
 * longer hashes or decodes (`CorruptEvent`); the page is then re-read one revision at a time, so the
 * bad revision is named and every good event around it is still checked. Pages advance by the number of
 * rows read and repeated rows are skipped by global position, so a deleted or moved row shifts nothing.
 */
export const forEachPage = async (
  store: EventStore,
  streamId: string,
  onPage: (items: ReadonlyArray<StreamItem>) => boolean | undefined,
  opts: PageOptions = {},
): Promise<E.Either<StoreError, void>> => {
  const size = opts.pageSize ?? 1000;
  const to = opts.to ?? Number.POSITIVE_INFINITY;
  let from = 0;
  let lastPosition: bigint | null = null;
  const fresh = (r: RecordedEvent) => lastPosition === null || r.position > lastPosition;
  while (from <= to) {
    const limit = Math.min(size, to - from + 1);
    const page = await store.readStream(streamId, { from, limit })();
    let items: StreamItem[];
    let rows: number;
    let ended: boolean;
    if (E.isRight(page)) {
      items = page.right.filter(fresh).map((recorded) => ({ _tag: "Event", recorded }) as const);
      rows = page.right.length;
      ended = rows < limit;
    } else if (page.left._tag === "CorruptEvent") {
      items = [];
      rows = 0;
      ended = false;
      for (let i = 0; i < limit; i++) {
        const one = await store.readStream(streamId, { from: from + i, limit: 1 })();
        if (E.isLeft(one)) {
          if (one.left._tag !== "CorruptEvent") return one;
          items.push({ _tag: "Unreadable", revision: from + i, message: one.left.message });
        } else if (one.right.length === 0) {
          ended = true;
          break;
        } else if (fresh(one.right[0]!)) {
          items.push({ _tag: "Event", recorded: one.right[0]! });
          lastPosition = one.right[0]!.position;
        }
        rows += 1;
      }
    } else return page;
    for (const it of items) if (it._tag === "Event") lastPosition = it.recorded.position;
    if (items.length > 0 && onPage(items) === false) return E.right(undefined);
    if (ended) return E.right(undefined);
    from += rows;
  }
  return E.right(undefined);
};
