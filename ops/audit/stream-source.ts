import * as E from "fp-ts/lib/Either.js";
import type { SkuEvent } from "../../event-schemas/index.ts";
import { scanEvent, scannedHashMatches } from "../../event-schemas/sku/scan-event.ts";
import type { EventStore, GlobalPosition, RecordedEvent, StoreError } from "../../infra/event-store/port.ts";
import { decodeStored } from "../../infra/event-store/stored-text.ts";

/**
 * One slot of a stream as the auditor sees it: an event, or a row the store refuses to hand back.
 * `event`: the event at its current version when the reader already decoded it (see `storedItem`).
 */
export type StreamItem =
  | { readonly _tag: "Event"; readonly recorded: RecordedEvent; readonly event?: SkuEvent }
  | { readonly _tag: "Unreadable"; readonly revision: number; readonly message: string };

/**
 * The item of one stored row (its canonical text), exactly as reading it through the store port gives
 * it: an event whose stored bytes hash to its hash and which names `streamId`, or `Unreadable` with the
 * store's reason. The common case is read by `scanEvent` (no JSON.parse, and the event comes decoded);
 * anything the scanner leaves goes through the store's own `decodeStored`. `revision`: the row's, for
 * naming an unreadable one.
 */
export const storedItem = (
  text: string,
  streamId: string,
  position: GlobalPosition,
  revision: number,
): StreamItem => {
  const s = scanEvent(text);
  if (s !== null && s.envelope.streamId === streamId && scannedHashMatches(text, s))
    return { _tag: "Event", recorded: { envelope: s.envelope, position, storedText: text }, event: s.event };
  const d = decodeStored(text, streamId, position);
  if (E.isRight(d)) return { _tag: "Event", recorded: { envelope: d.right, position, storedText: text } };
  return {
    _tag: "Unreadable",
    revision,
    message: d.left._tag === "CorruptEvent" ? d.left.message : d.left._tag,
  };
};

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
