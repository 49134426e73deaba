import { randomUUID } from "node:crypto";
import * as TE from "fp-ts/lib/TaskEither.js";
import { afterEach, describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { GlobalPosition } from "../../infra/event-store/port.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { listed, placed } from "../../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../testing/scenario.ts";
import { backoffMs } from "../../infra/retry/backoff.ts";
import { projectionMetrics } from "./metrics.ts";
import type { ProjectedEvent, Projection } from "./projection.ts";
import { type RunningProjector, runProjector } from "./runner.ts";
import { memoryStatusSink } from "./status.ts";

/** A projection into memory that fails on chosen event ids (always, or a number of times). */
const fakeProjection = (failures: Map<string, number>) => {
  const applied: string[] = [];
  let checkpoint: GlobalPosition | null = null;
  const p: Projection = {
    name: "fake",
    generation: () => TE.right("1"),
    readCheckpoint: () => TE.right(checkpoint),
    applyBatch: (events: ReadonlyArray<ProjectedEvent>, position) => {
      const bad = events.find((e) => (failures.get(e.envelope.eventId) ?? 0) > 0);
      if (bad !== undefined) {
        failures.set(bad.envelope.eventId, (failures.get(bad.envelope.eventId) ?? 0) - 1);
        return TE.left({ _tag: "ProjectionFailed", message: `boom on ${bad.envelope.eventId}` });
      }
      applied.push(...events.map((e) => e.envelope.eventId));
      checkpoint = position;
      return TE.right(undefined);
    },
  };
  return { p, applied, checkpoint: () => checkpoint };
};

const store = makeMemoryEventStore({ pollIntervalMs: 5 });
let running: RunningProjector | null = null;
afterEach(async () => {
  await running?.stop();
});

const run = (p: Projection, status = memoryStatusSink(), registry = makeRegistry({ defaults: false })) => {
  running = runProjector({
    store,
    projection: p,
    logger: silentLogger(),
    metrics: projectionMetrics(registry),
    status,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return running;
};

describe("projector runtime", () => {
  it("retries a transient failure and applies every event once, in order", async () => {
    const sku = skuScenario(store, `a-${randomUUID().slice(0, 8)}`);
    const evs = await sku.append(
      listed(sku.skuId),
      placed(randomUUID(), "u1", 1),
      placed(randomUUID(), "u2", 1),
    );
    const fake = fakeProjection(new Map([[evs[1]!.eventId, 2]]));
    run(fake.p);
    await eventually(async () => (fake.applied.length >= 3 ? true : undefined));
    const mine = fake.applied.filter((id) => evs.some((e) => e.eventId === id));
    expect(mine).toEqual(evs.map((e) => e.eventId));
  });

  it("parks on a poison event: keeps the events before it, never skips it, and shows it in the status", async () => {
    const sku = skuScenario(store, `b-${randomUUID().slice(0, 8)}`);
    const evs = await sku.append(
      listed(sku.skuId),
      placed(randomUUID(), "u1", 1),
      placed(randomUUID(), "u2", 1),
    );
    const fake = fakeProjection(new Map([[evs[1]!.eventId, 1_000]]));
    const status = memoryStatusSink();
    const registry = makeRegistry({ defaults: false });
    const r = run(fake.p, status, registry);
    const parked = await eventually(async () => (r.status().state === "parked" ? r.status() : undefined));
    expect(parked.parkedAt?.eventId).toBe(evs[1]!.eventId);
    expect(fake.applied).toContain(evs[0]!.eventId);
    expect(fake.applied).not.toContain(evs[1]!.eventId);
    expect(fake.applied).not.toContain(evs[2]!.eventId);
    expect(status.current.get("fake")?.state).toBe("parked");
    expect(await registry.getSingleMetricAsString("holdfast_projection_parked")).toMatch(
      /projection="fake"} 1/,
    );
  });

  it("backs off exponentially within the cap", () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(policy, 0, () => 0.999)).toBe(99);
    expect(backoffMs(policy, 3, () => 0.999)).toBe(799);
    expect(backoffMs(policy, 10, () => 0.999)).toBe(999);
  });
});
