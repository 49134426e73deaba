import type { Client } from "@elastic/elasticsearch";
import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { availabilityKeys } from "../../infra/redis/availability.ts";
import { aliasedGeneration, readProductCheckpoint } from "../products/indices.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

/** One projection's live generation and checkpoint, read from its own store (for `projections list`). */
export interface ProjectionInfo {
  readonly name: string;
  readonly store: string;
  readonly generation: string | null;
  readonly checkpoint: string | null;
  readonly error?: string;
}

const safe = async (
  name: string,
  store: string,
  f: () => Promise<Omit<ProjectionInfo, "name" | "store">>,
) => {
  try {
    return { name, store, ...(await f()) };
  } catch (e) {
    return {
      name,
      store,
      generation: null,
      checkpoint: null,
      error: messageOf(e),
    };
  }
};

export const inspectProjections = async (deps: {
  readonly redis: Redis;
  readonly pool: Pool;
  readonly es: Client;
  readonly redisNamespace: string;
  readonly searchPrefix: string;
  readonly integrationTopic: string;
}): Promise<ReadonlyArray<ProjectionInfo>> =>
  Promise.all([
    safe("availability", "redis", async () => {
      const keys = availabilityKeys(deps.redisNamespace);
      const gen = await deps.redis.get(keys.pointer);
      return {
        generation: gen,
        checkpoint: gen === null ? null : await deps.redis.get(keys.checkpoint(gen)),
      };
    }),
    safe("orders", "postgresql", async () => {
      const p = await deps.pool.query<{ generation: string }>(
        "SELECT generation FROM hf_projection.pointer WHERE name = 'orders'",
      );
      const gen = p.rows[0]?.generation ?? null;
      if (gen === null) return { generation: null, checkpoint: null };
      const c = await deps.pool.query<{ position: string }>(
        `SELECT position::text FROM hf_orders_g${gen}.checkpoint`,
      );
      return { generation: gen, checkpoint: c.rows[0]?.position ?? null };
    }),
    safe("products", "elasticsearch", async () => {
      const gen = await aliasedGeneration(deps.es, deps.searchPrefix);
      const cp = gen === null ? null : await readProductCheckpoint(deps.es, deps.searchPrefix, gen);
      return { generation: gen, checkpoint: cp?.toString() ?? null };
    }),
    safe("integration-relay", "kafka", async () => {
      const c = await deps.pool.query<{ position: string }>(
        "SELECT position::text FROM hf_projection.checkpoint WHERE name = 'integration-relay'",
      );
      return { generation: deps.integrationTopic, checkpoint: c.rows[0]?.position ?? null };
    }),
  ]);
