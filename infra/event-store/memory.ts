import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  ReadStreamOptions,
  StoreError,
} from "./port.ts";
import { readAheadOf } from "./read-ahead.ts";
import { decodeStoredRow, verifyStored } from "./stored-text.ts";
import { pollSubscription, Waker } from "./subscription.ts";
import { checkTip, validateAppend } from "./validate-append.ts";
import type { EventEnvelope } from "../../event-schemas/index.ts";

interface Row {
  readonly streamId: string;
  readonly position: GlobalPosition;
  readonly hash: string;
  /** The canonical text, as a real store keeps it: reads parse it, so callers never share objects. */
  readonly text: string;
}

const unavailable = (message: string): StoreError => ({ _tag: "StoreUnavailable", message });

/**
 * The in-memory event store: the reference for the contract suite and the store for unit tests.
 * It applies the same validation as the real adapters and stores the same canonical text. Positions are
 * 1, 2, 3, … in append order; an append is synchronous, so commit order is position order.
 *
 * @example
 *   const store = makeMemoryEventStore();
 *   await store.append("sku-tee", expectNoStream, sealEvents("sku-tee", null, drafts))();
 */
export const makeMemoryEventStore = (opts: { readonly pollIntervalMs?: number } = {}): EventStore => {
  const all: Row[] = [];
  const streams = new Map<string, Row[]>();
  const waker = new Waker();
  let closed = false;
  const subscriptions = new Set<{ stop(): Promise<void> }>();

  const decodeAll = E.traverseArray((row: Row) => decodeStoredRow(row.position, row.streamId, row.text));

  const guard =
    <A>(f: () => E.Either<StoreError, A>): TE.TaskEither<StoreError, A> =>
    () =>
      Promise.resolve(closed ? E.left(unavailable("store is closed")) : f());

  /** Rows of the feed after `after`: positions are 1-based and dense, so `after` is also the index of the first row to look at. */
  const feedRows = (after: GlobalPosition | null, limit: number, streamPrefix?: string): Row[] => {
    const start = after === null ? 0 : Number(after < 0n ? 0n : after);
    const rows: Row[] = [];
    for (let i = start; i < all.length && rows.length < limit; i++) {
      const row = all[i]!;
      if (streamPrefix === undefined || row.streamId.startsWith(streamPrefix)) rows.push(row);
    }
    return rows;
  };

  const readAll = (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    guard(() => decodeAll(feedRows(after, limit, streamPrefix)));

  const readAllStored = (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    guard(() =>
      E.traverseArray((row: Row) => verifyStored(row.position, row.streamId, row.text))(
        feedRows(after, limit, streamPrefix),
      ),
    );

  const store: EventStore = {
    append: (streamId: string, expected: ExpectedRevision, events: ReadonlyArray<EventEnvelope>) =>
      guard((): E.Either<StoreError, AppendResult> => {
        const prepared = validateAppend(streamId, expected, events);
        if (E.isLeft(prepared)) return prepared;
        const rows = streams.get(streamId) ?? [];
        const last = rows[rows.length - 1];
        const tip = last === undefined ? null : { revision: rows.length - 1, hash: last.hash };
        const refused = checkTip(prepared.right, expected, tip);
        if (refused !== null) return E.left(refused);
        for (const e of prepared.right.events) {
          const row = { streamId, position: BigInt(all.length + 1), hash: e.envelope.hash, text: e.text };
          all.push(row);
          rows.push(row);
        }
        streams.set(streamId, rows);
        waker.wake();
        return E.right({ revision: prepared.right.lastRevision, position: BigInt(all.length) });
      }),

    readStream: (streamId: string, opts: ReadStreamOptions = {}) =>
      guard(() => {
        const rows = streams.get(streamId) ?? [];
        const limit = opts.limit ?? Number.POSITIVE_INFINITY;
        const picked: Row[] = [];
        if ((opts.direction ?? "forward") === "forward") {
          for (let r = Math.max(opts.from ?? 0, 0); r < rows.length && picked.length < limit; r++)
            picked.push(rows[r]!);
        } else {
          for (
            let r = Math.min(opts.from ?? rows.length - 1, rows.length - 1);
            r >= 0 && picked.length < limit;
            r--
          )
            picked.push(rows[r]!);
        }
        return decodeAll(picked);
      }),

    readAll,
    readAllStored,
    readAllStoredPages: readAheadOf(readAllStored),

    subscribe: (subOpts, onBatch) => {
      const sub = pollSubscription(
        { readAll, waker, pollIntervalMs: opts.pollIntervalMs ?? 1_000, giveUpAfterMs: 0 },
        subOpts,
        onBatch,
      );
      subscriptions.add(sub);
      void sub.done.then(
        () => subscriptions.delete(sub),
        () => subscriptions.delete(sub),
      );
      return sub;
    },

    headPosition: () => guard(() => E.right(all.length === 0 ? null : BigInt(all.length))),

    listStreams: (prefix: string) =>
      guard(() => E.right([...streams.keys()].filter((s) => s.startsWith(prefix)).sort())),

    close: async () => {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
    },
  };
  return store;
};
