import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Pool } from "pg";
import { messageOf } from "../errors/message-of.ts";

/**
 * The SKU → partition registry, durable in PostgreSQL (table `sku_partitions`, one row per SKU and
 * command topic). A SKU gets the next free partition when it is listed and keeps it for ever, so its
 * commands stay in one FIFO. The write API also uses it as its SKU registry: a SKU without a partition
 * was never listed (404 unknown-sku at the edge).
 */
export interface PartitionRegistry {
  /** The SKU's partition, or `null` when the SKU was never listed. Cached once known (it never changes). */
  partitionOf(skuId: string): TE.TaskEither<RegistryError, number | null>;
  /** The SKU's partition when already known to this process (no I/O), else `undefined`. */
  known(skuId: string): number | undefined;
  /** The SKU's partition, assigning the next free one when it has none. */
  assign(skuId: string): TE.TaskEither<RegistryError, number>;
}

/** The registry's database did not answer. */
export interface RegistryError {
  readonly _tag: "RegistryUnavailable";
  readonly message: string;
}

const unavailable = (e: unknown): RegistryError => ({
  _tag: "RegistryUnavailable",
  message: messageOf(e),
});

/** Run a query-backed step; a thrown driver error becomes a `RegistryUnavailable` value. */
const attempt =
  <A>(f: () => Promise<A>): TE.TaskEither<RegistryError, A> =>
  () =>
    f().then(
      (a) => E.right(a),
      (e: unknown) => E.left(unavailable(e)),
    );

export const SKU_PARTITIONS_DDL = `
create table if not exists sku_partitions (
  topic text not null,
  sku_id text not null,
  partition integer not null,
  assigned_at timestamptz not null default now(),
  primary key (topic, sku_id),
  unique (topic, partition)
)`;

/** Negative answers are cached briefly, so a flood of requests for an unknown SKU costs no queries. */
const NEGATIVE_TTL_MS = 1000;

export const makePgPartitionRegistry = async (pool: Pool, topic: string): Promise<PartitionRegistry> => {
  await pool.query(SKU_PARTITIONS_DDL);
  const known = new Map<string, number>();
  const unknownUntil = new Map<string, number>();
  const partitionOf = async (skuId: string): Promise<number | null> => {
    const hit = known.get(skuId);
    if (hit !== undefined) return hit;
    if ((unknownUntil.get(skuId) ?? 0) > Date.now()) return null;
    const r = await pool.query<{ partition: number }>(
      "select partition from sku_partitions where topic = $1 and sku_id = $2",
      [topic, skuId],
    );
    const p = r.rows[0]?.partition;
    if (p === undefined) {
      if (unknownUntil.size > 100_000) unknownUntil.clear();
      unknownUntil.set(skuId, Date.now() + NEGATIVE_TTL_MS);
      return null;
    }
    known.set(skuId, p);
    return p;
  };
  const assign = async (skuId: string): Promise<number> => {
    const hit = known.get(skuId);
    if (hit !== undefined) return hit;
    const client = await pool.connect();
    try {
      await client.query("begin");
      // One assigner at a time per topic: the next free partition is max + 1.
      await client.query("select pg_advisory_xact_lock(hashtext($1))", [`sku_partitions:${topic}`]);
      const r = await client.query<{ partition: number }>(
        `insert into sku_partitions (topic, sku_id, partition)
         select $1, $2, coalesce(max(partition) + 1, 0) from sku_partitions where topic = $1
         on conflict (topic, sku_id) do update set topic = excluded.topic
         returning partition`,
        [topic, skuId],
      );
      await client.query("commit");
      const p = r.rows[0]!.partition;
      known.set(skuId, p);
      unknownUntil.delete(skuId);
      return p;
    } catch (e) {
      await client.query("rollback").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  };
  return {
    partitionOf: (skuId) => attempt(() => partitionOf(skuId)),
    known: (skuId) => known.get(skuId),
    assign: (skuId) => attempt(() => assign(skuId)),
  };
};

const LISTED: E.Either<never, boolean> = E.right(true);

/**
 * The write API's "is this SKU listed?" (404 unknown-sku at the edge): a SKU is listed exactly when it
 * has a partition. A partition this process already knows is answered at once, without a promise (every
 * write request asks).
 */
export const skuListedIn =
  (registry: PartitionRegistry) =>
  (skuId: string): E.Either<RegistryError, boolean> | Promise<E.Either<RegistryError, boolean>> =>
    registry.known(skuId) !== undefined
      ? LISTED
      : registry
          .partitionOf(skuId)()
          .then(E.map((p) => p !== null));
