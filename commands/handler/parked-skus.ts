import * as E from "fp-ts/lib/Either.js";
import type { Pool } from "pg";
import type { Registry } from "prom-client";
import { sharedGauge } from "../../infra/observability/metrics.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import type { Logger } from "../../infra/observability/logger.ts";

/**
 * Stuck SKUs. An append (or a stream load) that fails for a reason other than a revision conflict is
 * retried with capped exponential backoff; when it keeps failing while the event store itself answers,
 * the failure is the SKU's own (an event the store refuses, a corrupt stream), so the SKU is PARKED:
 * its partition stops being decided (paused, its commands stay on the queue, nothing is lost or
 * answered wrongly), every other SKU keeps flowing, and the SKU is visible in the log, in the metric
 * `holdfast_handler_parked_skus` and in the handler's readiness detail. An unreachable event store or
 * Redis is an outage, not a stuck SKU: those are retried until the dependency is back, never parked.
 *
 * Parked SKUs are stored in PostgreSQL (`hf_handler.parked_skus`, in DATABASE_URL's database), where
 * `holdfast handler parked` lists them and `holdfast handler resume SKU` deletes the row; a handler
 * notices the deletion within a second and decides the SKU's commands again.
 */
export class SkuFailure extends Error {
  constructor(
    readonly skuId: string,
    readonly stage: "load" | "append",
    readonly tag: string,
    detail: string,
  ) {
    super(`${stage} of SKU ${skuId} failed: ${tag} ${detail}`);
  }
}

export interface ParkedSku {
  readonly skuId: string;
  readonly groupId: string;
  readonly partition: number;
  readonly reason: string;
  readonly attempts: number;
  readonly parkedAt: string;
}

/** Attempts (with backoff: about 6 s in all) before a SKU whose failure is its own is parked. */
export const PARK_AFTER_ATTEMPTS = 5;

/**
 * Capped exponential backoff with jitter. A SKU's own failure backs off to 5 s; an outage (Redis, the
 * store unreachable) only to 1 s, so decisions resume within about a second of the dependency's return.
 */
export const retryDelayMs = (attempt: number, capMs = 5000): number => {
  const cap = Math.min(capMs, 200 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
};

const DDL = `
CREATE SCHEMA IF NOT EXISTS hf_handler;
CREATE TABLE IF NOT EXISTS hf_handler.parked_skus (
  group_id text NOT NULL,
  sku_id text NOT NULL,
  partition integer NOT NULL,
  reason text NOT NULL,
  attempts integer NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, sku_id)
)`;

export const ensureParkedTable = async (pool: Pool): Promise<void> => {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    await c.query("SELECT pg_advisory_xact_lock(hashtext('hf_handler.parked_skus ddl'))");
    await c.query(DDL);
    await c.query("COMMIT");
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
};

type Row = {
  group_id: string;
  sku_id: string;
  partition: number;
  reason: string;
  attempts: number;
  parked_at: Date;
};
const toParked = (r: Row): ParkedSku => ({
  skuId: r.sku_id,
  groupId: r.group_id,
  partition: r.partition,
  reason: r.reason,
  attempts: r.attempts,
  parkedAt: r.parked_at.toISOString(),
});

/** Every parked SKU of every handler group (the CLI's view). */
export const listParked = async (pool: Pool): Promise<ReadonlyArray<ParkedSku>> => {
  await ensureParkedTable(pool);
  const r = await pool.query<Row>("SELECT * FROM hf_handler.parked_skus ORDER BY parked_at, sku_id");
  return r.rows.map(toParked);
};

/** Resume a SKU (every group that parked it). Resolves with the rows removed. */
export const resumeParked = async (pool: Pool, skuId: string): Promise<ReadonlyArray<ParkedSku>> => {
  await ensureParkedTable(pool);
  const r = await pool.query<Row>("DELETE FROM hf_handler.parked_skus WHERE sku_id = $1 RETURNING *", [
    skuId,
  ]);
  return r.rows.map(toParked);
};

/** The handler's side: what is parked now, parking, and noticing resumes. */
export interface ParkingLot {
  isParked(skuId: string): boolean;
  park(p: Omit<ParkedSku, "groupId" | "parkedAt">): Promise<void>;
  parked(): ReadonlyArray<ParkedSku>;
  /** Re-read the table; resolves with the SKUs resumed since the last call. */
  refresh(): Promise<ReadonlyArray<string>>;
  /** Is the failure the SKU's own (store answers) or an outage of the store? */
  storeAnswers(): Promise<boolean>;
}

export const makeParkingLot = async (deps: {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly groupId: string;
  readonly logger: Logger;
  readonly registry?: Registry;
}): Promise<ParkingLot> => {
  await ensureParkedTable(deps.pool);
  const local = new Map<string, ParkedSku>();
  const gauge =
    deps.registry === undefined
      ? null
      : sharedGauge(deps.registry, {
          name: "holdfast_handler_parked_skus",
          help: "SKUs the command handler parked (an append kept failing); `holdfast handler resume SKU`",
          labelNames: ["sku"],
        });
  const load = async () => {
    const r = await deps.pool.query<Row>("SELECT * FROM hf_handler.parked_skus WHERE group_id = $1", [
      deps.groupId,
    ]);
    return r.rows.map(toParked);
  };
  for (const p of await load()) local.set(p.skuId, p);
  for (const p of local.values()) gauge?.set({ sku: p.skuId }, 1);
  return {
    isParked: (skuId) => local.has(skuId),
    parked: () => [...local.values()],
    park: async (p) => {
      const row: ParkedSku = { ...p, groupId: deps.groupId, parkedAt: new Date().toISOString() };
      local.set(p.skuId, row);
      gauge?.set({ sku: p.skuId }, 1);
      deps.logger.error(
        { skuId: p.skuId, partition: p.partition, attempts: p.attempts, reason: p.reason },
        "SKU parked: its commands wait on the queue until `holdfast handler resume`",
      );
      await deps.pool
        .query(
          `INSERT INTO hf_handler.parked_skus (group_id, sku_id, partition, reason, attempts)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (group_id, sku_id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts`,
          [deps.groupId, p.skuId, p.partition, p.reason.slice(0, 2000), p.attempts],
        )
        .catch((e: unknown) =>
          deps.logger.error({ err: e, skuId: p.skuId }, "could not record the parked SKU"),
        );
    },
    refresh: async () => {
      const rows = await load();
      const still = new Set(rows.map((r) => r.skuId));
      const resumed = [...local.keys()].filter((s) => !still.has(s));
      for (const s of resumed) {
        local.delete(s);
        gauge?.remove({ sku: s });
        deps.logger.warn({ skuId: s }, "SKU resumed");
      }
      // Parked by another process of this group (or before a restart): park here too.
      for (const r of rows)
        if (!local.has(r.skuId)) {
          local.set(r.skuId, r);
          gauge?.set({ sku: r.skuId }, 1);
        }
      return resumed;
    },
    storeAnswers: async () => E.isRight(await deps.store.headPosition()()),
  };
};
