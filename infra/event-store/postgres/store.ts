import { messageOf } from "../../errors/message-of.ts";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type pg from "pg";
import type { EventEnvelope } from "../../../event-schemas/index.ts";
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  ReadStreamOptions,
  StoreError,
} from "../port.ts";
import { pagesAhead } from "../read-ahead.ts";
import { decodeStoredRow, verifyStored } from "../stored-text.ts";
import { subscriptionSet, Waker } from "../subscription.ts";
import { validateAppend } from "../validate-append.ts";
import { APPEND_SQL, appendParams } from "./append-sql.ts";
import { FEED_SESSION_OPTIONS, READ_ALL } from "./feed.ts";
import { startListener } from "./listener.ts";
import { migrate } from "./migrations.ts";
import { openPool } from "../../postgres/pool.ts";

export interface PostgresEventStoreOptions {
  readonly connectionString: string;
  /** Pool size. Default 4: appends are one round trip each, and the machine has 2 cores. */
  readonly maxConnections?: number;
  /** Polling fallback for subscriptions when no NOTIFY arrives (default 1,000 ms). */
  readonly pollIntervalMs?: number;
  /** How long a subscription tolerates an unreachable database before its `done` rejects (default 60 s). */
  readonly giveUpAfterMs?: number;
  readonly applicationName?: string;
}

/** The PostgreSQL store (every store now reads the feed in its stored form too: see the port). */
export type PostgresEventStore = EventStore;

const unavailable = (e: unknown): StoreError => ({
  _tag: "StoreUnavailable",
  message: messageOf(e),
});

type Row = [position: string, streamId: string, data: string];

const MAX_REVISION = "9223372036854775807";

/**
 * The PostgreSQL event store (the default). Build it with `makePostgresEventStore`, which applies the
 * migrations first. Appends call `event_store.append` (one statement, one transaction, one round trip
 * per batch); reads verify every stored event's hash; the global feed is ordered by the appending
 * transaction's id and published only below the snapshot xmin (see `feed.ts` for the proof).
 */
export const makePostgresEventStore =
  (opts: PostgresEventStoreOptions): TE.TaskEither<StoreError, PostgresEventStore> =>
  async () => {
    const pool = openPool(
      { databaseUrl: opts.connectionString },
      {
        max: opts.maxConnections ?? 4,
        idleTimeoutMillis: 30_000,
        name: opts.applicationName ?? "holdfast-event-store",
      },
    );
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      return E.left(unavailable(e));
    }
    // Feed reads on connections of their own, opened with the planner settings READ_ALL relies on:
    // appends never queue behind a large page, and no other statement runs with those settings.
    const feedPool = openPool(
      { databaseUrl: opts.connectionString },
      {
        max: 2,
        idleTimeoutMillis: 30_000,
        name: `${opts.applicationName ?? "holdfast-event-store"}-feed`,
        sessionOptions: FEED_SESSION_OPTIONS,
      },
    );
    return E.right(postgresStore(pool, feedPool, opts));
  };

const postgresStore = (
  pool: pg.Pool,
  feedPool: pg.Pool,
  opts: PostgresEventStoreOptions,
): PostgresEventStore => {
  const waker = new Waker();
  let listener: ReturnType<typeof startListener> | null = null;

  const query = async <R extends unknown[]>(text: string, values: unknown[]): Promise<R[]> => {
    const r = await pool.query<R>({ text, values, rowMode: "array" });
    return r.rows;
  };

  const decodeRows = E.traverseArray(([pos, streamId, data]: Row) =>
    decodeStoredRow(BigInt(pos), streamId, data),
  );

  const attempt =
    <A>(f: () => Promise<E.Either<StoreError, A>>): TE.TaskEither<StoreError, A> =>
    () =>
      f().catch((e: unknown) => E.left(unavailable(e)));

  const tipOf = async (streamId: string): Promise<number | null> => {
    const rows = await query<[string]>("select revision from event_store.streams where stream_id = $1", [
      streamId,
    ]);
    return rows[0] === undefined ? null : Number(rows[0][0]);
  };

  const feedPage = async (after: GlobalPosition | null, limit: number, streamPrefix?: string) => {
    const from = after === null ? "-1" : after.toString();
    const prefix = streamPrefix === undefined || streamPrefix === "" ? null : streamPrefix;
    const r = await feedPool.query<Row>({
      name: "holdfast-read-all",
      text: READ_ALL,
      values: [from, limit, prefix],
      rowMode: "array",
    });
    return r.rows;
  };

  const readAll = (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    attempt(async () => decodeRows(await feedPage(after, limit, streamPrefix)));

  /** A page's rows verified (nothing decoded); the first that fails is the page's error. */
  const verifyRows = E.traverseArray(([pos, streamId, storedText]: Row) =>
    verifyStored(BigInt(pos), streamId, storedText),
  );

  const readAllStored = (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    attempt(async () => verifyRows(await feedPage(after, limit, streamPrefix)));

  // The next page is asked for with the last row's position as soon as the rows are in: PostgreSQL reads
  // it while this process verifies the page just read (the feed pool has a second connection for it).
  const readAllStoredPages = (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    pagesAhead(
      (from) =>
        attempt(async () => {
          const rows = await feedPage(from, limit, streamPrefix);
          const last = rows[rows.length - 1];
          return E.right({ rows, last: last === undefined ? null : BigInt(last[0]) });
        })(),
      verifyRows,
      after,
      limit,
    );

  const subscriptions = subscriptionSet({
    readAll,
    waker,
    pollIntervalMs: opts.pollIntervalMs ?? 1_000,
    giveUpAfterMs: opts.giveUpAfterMs ?? 60_000,
  });
  return {
    append: (streamId: string, expected: ExpectedRevision, events: ReadonlyArray<EventEnvelope>) =>
      attempt(async (): Promise<E.Either<StoreError, AppendResult>> => {
        const v = validateAppend(streamId, expected, events);
        if (E.isLeft(v)) return v;
        const p = v.right;
        let rows: Array<[string, string | null, string | null]>;
        try {
          rows = await query(APPEND_SQL, appendParams(p, expected));
        } catch (e) {
          // Only reachable if something bypassed the per-stream lock (the unique index still holds).
          if ((e as { code?: string }).code === "23505")
            return E.left({
              _tag: "WrongExpectedRevision",
              streamId,
              expected,
              actual: await tipOf(streamId),
            });
          throw e;
        }
        const [status, actual, position] = rows[0]!;
        const actualRevision = actual === null ? null : Number(actual);
        switch (status) {
          case "ok":
            waker.wake();
            return E.right({ revision: Number(actual), position: BigInt(position!) });
          case "conflict":
            return E.left({ _tag: "WrongExpectedRevision", streamId, expected, actual: actualRevision });
          case "broken-link":
            return E.left({
              _tag: "InvalidAppend",
              streamId,
              reason: `revision ${p.firstRevision} does not link to the hash of revision ${actualRevision ?? "(genesis)"}`,
            });
          default:
            throw new Error(`event_store.append returned an unknown status ${status}`);
        }
      }),

    readStream: (streamId: string, o: ReadStreamOptions = {}) =>
      attempt(async () => {
        const backward = o.direction === "backward";
        const from = backward ? (o.from ?? MAX_REVISION) : Math.max(o.from ?? 0, 0);
        const rows = await query<Row>(
          "select o_position, o_stream_id, o_data from event_store.read_stream($1, $2, $3, $4)",
          [streamId, from, backward, o.limit ?? null],
        );
        return decodeRows(rows);
      }),

    readAll,
    readAllStored,
    readAllStoredPages,

    subscribe: (subOpts, onBatch) => {
      listener ??= startListener(opts.connectionString, waker);
      return subscriptions.subscribe(subOpts, onBatch);
    },

    headPosition: () =>
      attempt(async () => {
        const rows = await query<[string | null]>("select max(position) from event_store.events", []);
        const head = rows[0]?.[0] ?? null;
        return E.right(head === null ? null : BigInt(head));
      }),

    listStreams: (prefix: string) =>
      attempt(async () => {
        const rows = await query<[string]>(
          `select stream_id from event_store.streams where starts_with(stream_id, $1) order by stream_id collate "C"`,
          [prefix],
        );
        return E.right(rows.map((r) => r[0]));
      }),

    close: async () => {
      await subscriptions.stopAll();
      await listener?.stop();
      await Promise.all([pool.end(), feedPool.end()]);
    },
  };
};
