import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { GlobalPosition, StoredEvent, StoreError } from "./port.ts";

/** One page of the feed as its query returned it, not yet verified, and where it ends. */
export interface RawPage<R> {
  readonly rows: ReadonlyArray<R>;
  /** The position of the page's last row (`null` for an empty page). */
  readonly last: GlobalPosition | null;
}

/**
 * The feed after `after`, page after page up to the first short page, with one read ahead: the next
 * page is asked for as soon as this page's rows are in, before they are verified and while the caller
 * handles them, so the database works on page k+1 while this process hashes and applies page k. Yields
 * the first error and ends there (a read left in flight is dropped: `fetch` never rejects).
 *
 * `fetch` reads the rows after a position; `verify` turns them into the page the caller gets.
 *
 * @example
 *   for await (const page of pagesAhead(fetchRows, verifyRows, null, 5000)) if (E.isRight(page)) use(page.right);
 */
export async function* pagesAhead<R, A>(
  fetch: (after: GlobalPosition | null) => Promise<E.Either<StoreError, RawPage<R>>>,
  verify: (rows: ReadonlyArray<R>) => E.Either<StoreError, ReadonlyArray<A>>,
  after: GlobalPosition | null,
  limit: number,
): AsyncGenerator<E.Either<StoreError, ReadonlyArray<A>>, void, undefined> {
  let next = fetch(after);
  for (;;) {
    const raw = await next;
    if (E.isLeft(raw)) {
      yield raw;
      return;
    }
    const { rows, last } = raw.right;
    const full = rows.length >= limit && last !== null;
    if (full) next = fetch(last);
    const page = verify(rows);
    yield page;
    if (!full || E.isLeft(page)) return;
  }
}

/**
 * `readAllStoredPages` for an adapter whose `readAllStored` verifies as it reads: the next page is read
 * while the caller handles this one.
 */
export const readAheadOf =
  (
    readAllStored: (
      after: GlobalPosition | null,
      limit: number,
      streamPrefix?: string,
    ) => TE.TaskEither<StoreError, ReadonlyArray<StoredEvent>>,
  ) =>
  (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    pagesAhead(
      async (from) =>
        E.map((rows: ReadonlyArray<StoredEvent>) => ({
          rows,
          last: rows[rows.length - 1]?.position ?? null,
        }))(await readAllStored(from, limit, streamPrefix)()),
      E.right,
      after,
      limit,
    );
