import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { Producer } from "kafkajs";
import type { Pool } from "pg";
import { integrationMessage } from "../../infra/kafka/integration-topic.ts";
import { withDdlLock } from "../orders/schema.ts";
import {
  type ProjectedEvent,
  type Projection,
  projectionFailed,
  tryProjection,
} from "../runtime/projection.ts";

export const ensureRelayCheckpoints = (pool: Pool) =>
  withDdlLock(pool, (c) =>
    c.query(`CREATE SCHEMA IF NOT EXISTS hf_projection;
      CREATE TABLE IF NOT EXISTS hf_projection.checkpoint (name text PRIMARY KEY, position numeric(20) NOT NULL)`),
  );

/**
 * The integration relay: publishes every event to the integration topic, keyed by SKU (so one SKU's
 * events share a partition), each batch in feed order with one `send` on an idempotent producer with
 * one request in flight and acks from all in-sync replicas, so the broker keeps stream order and a
 * producer retry never duplicates. The checkpoint (PostgreSQL `hf_projection.checkpoint`) is written
 * after the broker acknowledged the batch: a crash in between re-sends the batch (at least once, as
 * API.md promises; consumers dedupe on `ce_id`). Within a process, streams' last sent revisions are
 * remembered so a retried batch does not re-send what was already acknowledged.
 */
export const relayProjection = (deps: {
  readonly pool: Pool;
  /** Connected, created with `{ idempotent: true, maxInFlightRequests: 1 }`. */
  readonly producer: Producer;
  readonly topic: string;
  readonly name?: string;
}): Projection => {
  const name = deps.name ?? `relay:${deps.topic}`;
  const sent = new Map<string, number>();
  let ready: Promise<unknown> | null = null;
  const ensure = () => {
    ready ??= ensureRelayCheckpoints(deps.pool).catch((e: unknown) => {
      ready = null;
      throw e;
    });
    return ready;
  };
  return {
    name,
    generation: () => TE.right("1"),
    readCheckpoint: () =>
      tryProjection(async () => {
        await ensure();
        const r = await deps.pool.query<{ position: string }>(
          "SELECT position FROM hf_projection.checkpoint WHERE name = $1",
          [name],
        );
        return r.rows[0] === undefined ? null : BigInt(r.rows[0].position);
      }),
    applyBatch: (events: ReadonlyArray<ProjectedEvent>, position) => async () => {
      try {
        await ensure();
        const fresh = events.filter((e) => e.envelope.revision > (sent.get(e.envelope.streamId) ?? -1));
        if (fresh.length > 0) {
          await deps.producer.send({
            topic: deps.topic,
            acks: -1,
            messages: fresh.map((e) => integrationMessage(e.envelope, e.storedText)),
          });
          for (const e of fresh) sent.set(e.envelope.streamId, e.envelope.revision);
        }
        await deps.pool.query(
          `INSERT INTO hf_projection.checkpoint (name, position) VALUES ($1, $2)
           ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
          [name, position.toString()],
        );
        return E.right(undefined);
      } catch (e) {
        return E.left(projectionFailed(e));
      }
    },
  };
};
