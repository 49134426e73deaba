import { POSITION_SHIFT } from "./migrations.ts";

/**
 * The global feed, and why it never skips an event.
 *
 * Position = xid * 2^16 + ordinal, where xid is the appending transaction's id (`pg_current_xact_id()`,
 * 64-bit, never wraps) and ordinal numbers its events. So ordering by position is ordering by
 * (xid, ordinal), and a transaction's events are contiguous in the feed.
 *
 * A position is only published once it lies below the reading statement's snapshot xmin (times 2^16):
 *
 *   deliverable(S) = { rows r visible to S : r.xid < xmin(S) }
 *
 * Claim: for two reading statements S1 before S2, deliverable(S2) restricted to positions below
 * xmin(S1) * 2^16 equals deliverable(S1). Hence a reader that has seen position p (p < xmin(S1) * 2^16)
 * will never later find an unseen row at or below p: the feed only ever grows at its end.
 *
 * Proof. (1) xmin(S) is the smallest xid still running when S took its snapshot; every xid below it had
 * finished (committed or aborted) — PostgreSQL marks a transaction committed in clog before removing
 * it from the proc array, and the snapshot's xmin comes from the proc array. A finished transaction's
 * rows are visible to S if and only if it committed, and that never changes afterwards.
 * (2) Every xid assigned after S1 took its snapshot is >= xmax(S1) >= xmin(S1): xids are handed out in
 * increasing order. So no new transaction with an xid below xmin(S1) can appear later.
 * (3) Rows are never updated or deleted (the log is append-only). Together: the set of rows with
 * xid < xmin(S1) is the same for S1 and every later snapshot. ∎
 *
 * `pg_current_snapshot()` returns the statement's own active snapshot, so the xmin and the rows come
 * from the same snapshot. Subtransactions do not break this: the stored xid is the top-level one, and a
 * subtransaction's xid is larger than its parent's, which stays in the proc array until the end.
 *
 * Cost: the feed lags behind the oldest running transaction that holds an xid, in this whole cluster
 * (xids are cluster-wide). A long transaction anywhere delays delivery (never loses or reorders it);
 * monitor `idle in transaction` sessions. The append takes its xid last, after its checks, so a refused
 * append never holds the horizon back.
 */

/**
 * The feed page: $1 = after (exclusive, -1 for the start), $2 = limit, $3 = stream prefix or null.
 *
 * The same statement as `event_store.read_all` (migration 1), sent directly: a set-returning function
 * with `SET` options is never inlined, so PostgreSQL copied every page into a tuplestore first, which
 * spilled to temporary files beyond `work_mem` (a 5,000-event page is ~3.5 MB) and cost more than
 * reading the rows. The function's pinned plan (walk the primary key in order, never a bitmap scan of
 * everything after the cursor plus a sort) is kept by running this on connections opened with the
 * same planner settings (`FEED_SESSION_OPTIONS`), which serve only feed and stream reads.
 */
export const READ_ALL = `select e.position, e.stream_id, e.data from event_store.events e
  where e.position > $1
    and e.position < pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${POSITION_SHIFT}
    and ($3::text is null or starts_with(e.stream_id, $3::text))
  order by e.position
  limit $2`;

/** Startup options of the feed's connections: the plan `event_store.read_all` pins, for `READ_ALL`. */
export const FEED_SESSION_OPTIONS = "-c enable_bitmapscan=off -c enable_seqscan=off -c enable_sort=off";
