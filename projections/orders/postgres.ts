import * as E from "fp-ts/lib/Either.js";
import type { Pool, PoolClient } from "pg";
import type { GlobalPosition } from "../../infra/event-store/port.ts";
import {
  type ProjectedEvent,
  type Projection,
  type ProjectionError,
  projectionFailed,
  tryProjection,
} from "../runtime/projection.ts";
import { emptyDelta, foldOrders, type OrdersDelta } from "./fold.ts";
import { ensureLiveOrders, generationSchema, PROJECTION } from "./schema.ts";

class Superseded extends Error {
  constructor(readonly generation: string) {
    super(`generation superseded by ${generation}`);
  }
}

/**
 * Text as a PostgreSQL `text` column can hold it: every character but NUL, which PostgreSQL refuses
 * (`invalid byte sequence for encoding "UTF8": 0x00`) and which would otherwise stop this projection
 * for good on one event. NUL becomes U+FFFD, the replacement character (as the UTF-8 encoder already
 * does for a lone surrogate); the log keeps the exact text.
 */
export const storableText = (s: string): string =>
  s.includes("\u0000") ? s.replaceAll("\u0000", "\uFFFD") : s;

/** Write the folded rows and the checkpoint, and commit the batch's transaction. */
const writeDeltaAndCommit = async (c: PoolClient, s: string, d: OrdersDelta, position: GlobalPosition) => {
  if (d.newSkus.size > 0) {
    const rows = [...d.newSkus.values()];
    await c.query(
      `INSERT INTO ${s}.sku_sales (sku_id, name, price_cents, currency, stock, closed)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::boolean[])
       ON CONFLICT (sku_id) DO NOTHING`,
      [
        rows.map((r) => r.skuId),
        rows.map((r) => storableText(r.name)),
        rows.map((r) => r.priceCents),
        rows.map((r) => r.currency),
        rows.map((r) => r.stock),
        rows.map((r) => r.closed),
      ],
    );
  }
  if (d.skuUpdates.size > 0) {
    const ids = [...d.skuUpdates.keys()];
    const ups = [...d.skuUpdates.values()];
    await c.query(
      `UPDATE ${s}.sku_sales t SET stock = coalesce(u.stock, t.stock), closed = coalesce(u.closed, t.closed)
       FROM unnest($1::text[], $2::bigint[], $3::boolean[]) AS u(sku_id, stock, closed) WHERE t.sku_id = u.sku_id`,
      [ids, ups.map((u) => u.stock), ups.map((u) => u.closed)],
    );
  }
  if (d.newReservations.size > 0) {
    const rows = [...d.newReservations.values()];
    await c.query(
      `INSERT INTO ${s}.reservations
         (reservation_id, sku_id, user_id, quantity, status, expires_at, order_id, created_at, updated_at, revision)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[],
                            $7::uuid[], $8::timestamptz[], $9::timestamptz[], $10::bigint[])
       ON CONFLICT (reservation_id) DO NOTHING`,
      [
        rows.map((r) => r.reservationId),
        rows.map((r) => r.skuId),
        rows.map((r) => r.userId),
        rows.map((r) => r.quantity),
        rows.map((r) => r.status),
        rows.map((r) => r.expiresAt),
        rows.map((r) => r.orderId),
        rows.map((r) => r.createdAt),
        rows.map((r) => r.updatedAt),
        rows.map((r) => r.revision),
      ],
    );
  }
  if (d.reservationUpdates.size > 0) {
    const ids = [...d.reservationUpdates.keys()];
    const ups = [...d.reservationUpdates.values()];
    await c.query(
      `UPDATE ${s}.reservations t SET status = u.status, order_id = coalesce(u.order_id, t.order_id),
         updated_at = u.updated_at, revision = u.revision
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[], $5::bigint[])
         AS u(id, status, order_id, updated_at, revision)
       WHERE t.reservation_id = u.id`,
      [
        ids,
        ups.map((u) => u.status),
        ups.map((u) => u.orderId),
        ups.map((u) => u.updatedAt),
        ups.map((u) => u.revision),
      ],
    );
  }
  if (d.newOrders.size > 0) {
    const rows = [...d.newOrders.values()];
    await c.query(
      `INSERT INTO ${s}.orders (order_id, reservation_id, sku_id, user_id, quantity, amount_cents, currency, status,
                               created_at, updated_at, revision)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[],
                            $8::text[], $9::timestamptz[], $10::timestamptz[], $11::bigint[])
       ON CONFLICT (order_id) DO NOTHING`,
      [
        rows.map((r) => r.orderId),
        rows.map((r) => r.reservationId),
        rows.map((r) => r.skuId),
        rows.map((r) => r.userId),
        rows.map((r) => r.quantity),
        rows.map((r) => r.amountCents),
        rows.map((r) => r.currency),
        rows.map((r) => r.status),
        rows.map((r) => r.createdAt),
        rows.map((r) => r.updatedAt),
        rows.map((r) => r.revision),
      ],
    );
  }
  if (d.orderUpdates.size > 0) {
    const ids = [...d.orderUpdates.keys()];
    const ups = [...d.orderUpdates.values()];
    await c.query(
      `UPDATE ${s}.orders t SET status = u.status, updated_at = u.updated_at, revision = u.revision
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bigint[]) AS u(id, status, updated_at, revision)
       WHERE t.order_id = u.id`,
      [ids, ups.map((u) => u.status), ups.map((u) => u.updatedAt), ups.map((u) => u.revision)],
    );
  }
  if (d.confirmedOrders.length > 0)
    await c.query(
      `UPDATE ${s}.sku_sales t SET units_sold = t.units_sold + x.units, revenue_cents = t.revenue_cents + x.revenue,
         orders_confirmed = t.orders_confirmed + x.n
       FROM (SELECT sku_id, sum(quantity) AS units, sum(amount_cents) AS revenue, count(*) AS n
             FROM ${s}.orders WHERE order_id = ANY($1::uuid[]) GROUP BY sku_id) x
       WHERE t.sku_id = x.sku_id`,
      [d.confirmedOrders],
    );
  if (d.failedOrders.size > 0)
    await c.query(
      `UPDATE ${s}.sku_sales t SET orders_failed = t.orders_failed + u.n
       FROM unnest($1::text[], $2::bigint[]) AS u(sku_id, n) WHERE t.sku_id = u.sku_id`,
      [[...d.failedOrders.keys()], [...d.failedOrders.values()]],
    );
  if (d.streamRevisions.size > 0)
    await c.query(
      `INSERT INTO ${s}.stream_revisions (stream_id, revision)
       SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision`,
      [[...d.streamRevisions.keys()], [...d.streamRevisions.values()]],
    );
  // The checkpoint and the commit in one round trip (a simple query: the position is a bigint's digits).
  // Should the insert fail, PostgreSQL skips the COMMIT and the caller rolls back.
  await c.query(
    `INSERT INTO ${s}.checkpoint (id, position) VALUES (1, ${BigInt(position).toString()})
     ON CONFLICT (id) DO UPDATE SET position = excluded.position; COMMIT`,
  );
};

/**
 * The PostgreSQL order views projection. One transaction per batch: it locks the revision rows of the
 * batch's streams, drops every event at or below the stored revision (so re-delivery is harmless),
 * writes the folded rows, the new revisions and the checkpoint, and commits. The live instance also
 * holds the generation pointer FOR SHARE, so a rebuild's swap waits for it and it notices the swap.
 */
export const ordersProjection = (pool: Pool, opts: { readonly generation?: string } = {}): Projection => {
  const live = opts.generation === undefined;
  let gen: string | null = opts.generation ?? null;
  const resolve = async () => {
    gen ??= live ? await ensureLiveOrders(pool) : (opts.generation as string);
    return gen;
  };
  return {
    name: live ? PROJECTION : `${PROJECTION}@${gen}`,
    generation: () => tryProjection(resolve),
    readCheckpoint: () =>
      tryProjection(async () => {
        const g = await resolve();
        const r = await pool.query<{ position: string }>(
          `SELECT position FROM ${generationSchema(g)}.checkpoint`,
        );
        return r.rows[0] === undefined ? null : BigInt(r.rows[0].position);
      }),
    applyBatch: (events: ReadonlyArray<ProjectedEvent>, position) => async () => {
      let c: PoolClient | null = null;
      try {
        const g = await resolve();
        const s = generationSchema(g);
        c = await pool.connect();
        // A rebuild's generation is read by nobody until its swap, and its checkpoint commits with its
        // rows: a commit lost in a crash takes its checkpoint with it, so the generation never claims
        // more than it holds. No need to wait for each batch's WAL flush (set in the BEGIN's round trip).
        await c.query(live ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit = off");
        if (live) {
          const p = await c.query<{ generation: string }>(
            "SELECT generation FROM hf_projection.pointer WHERE name = $1 FOR SHARE",
            [PROJECTION],
          );
          const current = p.rows[0]?.generation ?? "";
          if (current !== g) throw new Superseded(current);
        }
        const streams = [...new Set(events.map((e) => e.envelope.streamId))];
        const known = await c.query<{ stream_id: string; revision: string }>(
          `SELECT stream_id, revision FROM ${s}.stream_revisions WHERE stream_id = ANY($1) FOR UPDATE`,
          [streams],
        );
        const seen = new Map(known.rows.map((r) => [r.stream_id, Number(r.revision)]));
        const delta = emptyDelta();
        for (const e of events) {
          if (e.envelope.revision <= (seen.get(e.envelope.streamId) ?? -1)) continue;
          seen.set(e.envelope.streamId, e.envelope.revision);
          foldOrders(delta, e);
        }
        await writeDeltaAndCommit(c, s, delta, position);
        return E.right(undefined);
      } catch (e) {
        await c?.query("ROLLBACK").catch(() => {});
        if (e instanceof Superseded) {
          gen = null;
          return E.left<ProjectionError>({ _tag: "GenerationSuperseded", generation: e.generation });
        }
        return E.left(projectionFailed(e));
      } finally {
        c?.release();
      }
    },
  };
};
