import type { Pool, PoolClient } from "pg";

/**
 * PostgreSQL layout of the order views. Each generation lives in its own schema `hf_orders_g<N>`
 * (tables + checkpoint); readers only ever use the views in schema `hf_orders`, which point at the live
 * generation. A rebuild fills a new generation beside the live one and swaps by replacing the views and
 * the pointer row in one transaction, then drops the old schema.
 */
export const PUBLIC_SCHEMA = "hf_orders";
export const PROJECTION = "orders";
export const generationSchema = (gen: string) => `hf_orders_g${gen}`;
const VIEWS = ["reservations", "orders", "sku_sales", "stream_revisions", "shopper_history"] as const;

const generationDdl = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.reservations (
  reservation_id uuid PRIMARY KEY, sku_id text NOT NULL, user_id text NOT NULL, quantity int NOT NULL,
  status text NOT NULL, expires_at timestamptz NOT NULL, order_id uuid, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL, revision bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.orders (
  order_id uuid PRIMARY KEY, reservation_id uuid NOT NULL, sku_id text NOT NULL, user_id text NOT NULL,
  quantity int NOT NULL, amount_cents bigint NOT NULL, currency text NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, revision bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.sku_sales (
  sku_id text PRIMARY KEY, name text NOT NULL, price_cents bigint NOT NULL, currency text NOT NULL,
  stock bigint NOT NULL, closed boolean NOT NULL, units_sold bigint NOT NULL DEFAULT 0,
  revenue_cents bigint NOT NULL DEFAULT 0, orders_confirmed bigint NOT NULL DEFAULT 0,
  orders_failed bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ${s}.stream_revisions (stream_id text PRIMARY KEY, revision bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.checkpoint (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), position numeric(20) NOT NULL);
CREATE OR REPLACE VIEW ${s}.shopper_history AS
  SELECT user_id, 'reservation'::text AS kind, reservation_id AS id, sku_id, quantity, status, created_at, updated_at
    FROM ${s}.reservations
  UNION ALL
  SELECT user_id, 'order'::text, order_id, sku_id, quantity, status, created_at, updated_at FROM ${s}.orders;
`;

/**
 * The indexes the readers and the sweeper use (the primary keys aside, which the projection itself
 * needs). A rebuild creates them once its generation has caught up, just before the swap: one bulk
 * build instead of maintaining them row by row for every event of the log.
 */
const secondaryIndexDdl = (s: string) => `
CREATE INDEX IF NOT EXISTS reservations_user ON ${s}.reservations (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS reservations_overdue ON ${s}.reservations (expires_at) WHERE status = 'held';
CREATE INDEX IF NOT EXISTS orders_user ON ${s}.orders (user_id, created_at DESC, order_id);
`;

const META_DDL = `
CREATE SCHEMA IF NOT EXISTS hf_projection;
CREATE TABLE IF NOT EXISTS hf_projection.pointer (name text PRIMARY KEY, generation text NOT NULL);
CREATE SEQUENCE IF NOT EXISTS hf_projection.generation_seq;
CREATE TABLE IF NOT EXISTS hf_projection.checkpoint (name text PRIMARY KEY, position numeric(20) NOT NULL);
CREATE SCHEMA IF NOT EXISTS ${PUBLIC_SCHEMA};
`;

const pointViews = async (c: PoolClient, gen: string) => {
  for (const v of VIEWS)
    await c.query(
      `CREATE OR REPLACE VIEW ${PUBLIC_SCHEMA}.${v} AS SELECT * FROM ${generationSchema(gen)}.${v}`,
    );
};

/** Run `f` in a transaction holding the order views' DDL lock (one DDL writer at a time). */
export const withDdlLock = async <A>(pool: Pool, f: (c: PoolClient) => Promise<A>): Promise<A> => {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    await c.query("SELECT pg_advisory_xact_lock(hashtext('hf_orders_ddl'))");
    const a = await f(c);
    await c.query("COMMIT");
    return a;
  } catch (e) {
    await c.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    c.release();
  }
};

/** The live generation, creating the metadata, generation 1 and the public views on first use. */
export const ensureLiveOrders = (pool: Pool): Promise<string> =>
  withDdlLock(pool, async (c) => {
    await c.query(META_DDL);
    const r = await c.query<{ generation: string }>(
      "SELECT generation FROM hf_projection.pointer WHERE name = $1",
      [PROJECTION],
    );
    if (r.rows[0] !== undefined) return r.rows[0].generation;
    const gen = String(
      (await c.query<{ n: string }>("SELECT nextval('hf_projection.generation_seq') AS n")).rows[0]!.n,
    );
    await c.query(generationDdl(generationSchema(gen)) + secondaryIndexDdl(generationSchema(gen)));
    await pointViews(c, gen);
    await c.query("INSERT INTO hf_projection.pointer (name, generation) VALUES ($1, $2)", [PROJECTION, gen]);
    return gen;
  });

/**
 * A new, empty generation beside the live one (for a rebuild; the live one is created first if missing).
 * Its secondary indexes come at the swap (`swapOrdersGeneration`).
 */
export const createOrdersGeneration = async (pool: Pool): Promise<string> => {
  await ensureLiveOrders(pool);
  return withDdlLock(pool, async (c) => {
    await c.query(META_DDL);
    const gen = String(
      (await c.query<{ n: string }>("SELECT nextval('hf_projection.generation_seq') AS n")).rows[0]!.n,
    );
    await c.query(generationDdl(generationSchema(gen)));
    return gen;
  });
};

export type SwapResult =
  | { readonly _tag: "Swapped"; readonly previous: string }
  | { readonly _tag: "Behind"; readonly live: bigint; readonly candidate: bigint };

const checkpointOf = async (c: PoolClient, gen: string): Promise<bigint> => {
  const r = await c.query<{ position: string }>(`SELECT position FROM ${generationSchema(gen)}.checkpoint`);
  return r.rows[0] === undefined ? -1n : BigInt(r.rows[0].position);
};

/**
 * Swap `gen` in atomically when it has caught up with the live generation: the pointer row is locked
 * FOR UPDATE, which waits for the live projector's in-flight batch (it holds the row FOR SHARE) and
 * holds off the next, so the comparison stays true until commit. Readers keep using the views; the
 * old generation's schema is dropped after the commit.
 */
export const swapOrdersGeneration = async (pool: Pool, gen: string): Promise<SwapResult> => {
  // Before the pointer is locked, so the live projector is not held up while they build.
  await pool.query(secondaryIndexDdl(generationSchema(gen)));
  const result = await withDdlLock(pool, async (c): Promise<SwapResult> => {
    const r = await c.query<{ generation: string }>(
      "SELECT generation FROM hf_projection.pointer WHERE name = $1 FOR UPDATE",
      [PROJECTION],
    );
    const live = r.rows[0]?.generation;
    if (live === undefined) throw new Error("no live orders generation");
    const [liveCp, candCp] = [await checkpointOf(c, live), await checkpointOf(c, gen)];
    if (candCp < liveCp) return { _tag: "Behind", live: liveCp, candidate: candCp };
    await pointViews(c, gen);
    await c.query("UPDATE hf_projection.pointer SET generation = $2 WHERE name = $1", [PROJECTION, gen]);
    return { _tag: "Swapped", previous: live };
  });
  if (result._tag === "Swapped")
    await withDdlLock(pool, (c) =>
      c.query(`DROP SCHEMA IF EXISTS ${generationSchema(result.previous)} CASCADE`),
    );
  return result;
};

/** Drop a generation that was never swapped in (an abandoned rebuild). */
export const dropOrdersGeneration = (pool: Pool, gen: string) =>
  withDdlLock(pool, (c) => c.query(`DROP SCHEMA IF EXISTS ${generationSchema(gen)} CASCADE`));
