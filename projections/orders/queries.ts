import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import type { Pool } from "pg";
import { PUBLIC_SCHEMA as S } from "./schema.ts";

/** The read side of the order views (what read-api and the sweeper use), through the live views. */

export type ViewError = { readonly _tag: "ViewUnavailable"; readonly message: string };
const unavailable = (e: unknown): ViewError => ({ _tag: "ViewUnavailable", message: String(e) });

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));

const ReservationRowC = t.type({
  reservation_id: t.string,
  sku_id: t.string,
  user_id: t.string,
  quantity: t.number,
  status: t.keyof({ held: null, cancelled: null, expired: null, ordered: null, sold: null, released: null }),
  expires_at: t.unknown,
});
const OrderRowC = t.type({
  order_id: t.string,
  reservation_id: t.string,
  sku_id: t.string,
  user_id: t.string,
  quantity: t.number,
  amount_cents: t.string,
  currency: t.string,
  status: t.keyof({ pending_payment: null, confirmed: null, payment_failed: null, payment_unresolved: null }),
  created_at: t.unknown,
  updated_at: t.unknown,
});

export interface ReservationView {
  readonly reservationId: string;
  readonly skuId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly status: t.TypeOf<typeof ReservationRowC>["status"];
  readonly expiresAt: string;
}
export interface OrderView {
  readonly orderId: string;
  readonly reservationId: string;
  readonly skuId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly amountCents: number;
  readonly currency: string;
  readonly status: t.TypeOf<typeof OrderRowC>["status"];
  readonly createdAt: string;
  readonly updatedAt: string;
}

const decodeRow = <A>(codec: t.Decoder<unknown, A>, row: unknown): A => {
  const r = codec.decode(row);
  // A row that does not match the schema we created is a bug (or a schema drift), not a user error.
  if (E.isLeft(r)) throw new Error(`unexpected row shape in ${S}: ${JSON.stringify(row)}`);
  return r.right;
};

const toOrder = (row: unknown): OrderView => {
  const r = decodeRow(OrderRowC, row);
  return {
    orderId: r.order_id,
    reservationId: r.reservation_id,
    skuId: r.sku_id,
    userId: r.user_id,
    quantity: r.quantity,
    amountCents: Number(r.amount_cents),
    currency: r.currency,
    status: r.status,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
};

export const getReservation = (pool: Pool, id: string): TE.TaskEither<ViewError, ReservationView | null> =>
  TE.tryCatch(async () => {
    const r = await pool.query(
      `SELECT reservation_id, sku_id, user_id, quantity, status, expires_at FROM ${S}.reservations WHERE reservation_id = $1`,
      [id],
    );
    if (r.rows[0] === undefined) return null;
    const row = decodeRow(ReservationRowC, r.rows[0]);
    return {
      reservationId: row.reservation_id,
      skuId: row.sku_id,
      userId: row.user_id,
      quantity: row.quantity,
      status: row.status,
      expiresAt: iso(row.expires_at),
    };
  }, unavailable);

const ORDER_COLUMNS =
  "order_id, reservation_id, sku_id, user_id, quantity, amount_cents::text AS amount_cents, currency, status, created_at, updated_at";

export const getOrder = (pool: Pool, id: string): TE.TaskEither<ViewError, OrderView | null> =>
  TE.tryCatch(async () => {
    const r = await pool.query(`SELECT ${ORDER_COLUMNS} FROM ${S}.orders WHERE order_id = $1`, [id]);
    return r.rows[0] === undefined ? null : toOrder(r.rows[0]);
  }, unavailable);

/** A shopper's orders, newest first. */
export const ordersOf = (
  pool: Pool,
  userId: string,
  limit = 100,
): TE.TaskEither<ViewError, ReadonlyArray<OrderView>> =>
  TE.tryCatch(async () => {
    const r = await pool.query(
      `SELECT ${ORDER_COLUMNS} FROM ${S}.orders WHERE user_id = $1 ORDER BY created_at DESC, order_id DESC LIMIT $2`,
      [userId, limit],
    );
    return r.rows.map(toOrder);
  }, unavailable);

/** The last revision of the SKU's stream the order views have applied (`null`: none yet). */
export const ordersRevisionOf = (pool: Pool, skuId: string): TE.TaskEither<ViewError, number | null> =>
  TE.tryCatch(async () => {
    const r = await pool.query<{ revision: string }>(
      `SELECT revision FROM ${S}.stream_revisions WHERE stream_id = $1`,
      [`sku-${skuId}`],
    );
    return r.rows[0] === undefined ? null : Number(r.rows[0].revision);
  }, unavailable);

/** SKUs with a hold still `held` in the view more than `graceMs` after its deadline. */
export const skusWithOverdueHolds = (
  pool: Pool,
  nowMs: number,
  graceMs: number,
  limit = 1000,
): TE.TaskEither<ViewError, ReadonlyArray<string>> =>
  TE.tryCatch(async () => {
    const r = await pool.query<{ sku_id: string }>(
      `SELECT DISTINCT sku_id FROM ${S}.reservations WHERE status = 'held' AND expires_at < $1 LIMIT $2`,
      [new Date(nowMs - graceMs).toISOString(), limit],
    );
    return r.rows.map((x) => x.sku_id);
  }, unavailable);
