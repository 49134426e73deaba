import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SkuCommandBody } from "../../event-schemas/index.ts";
import { decodeConfig } from "../../infra/config/config.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { publishOutcomes, readOutcome } from "../../infra/redis/outcomes.ts";
import { type Harness, SECRET, startHarness, waitFor } from "../../ops/serve/testing/harness.ts";
import { type OpenCommandQueue, openCommandQueue } from "../../infra/command-queue/open.ts";
import { type RunningHandler, startCommandHandler } from "./consumer.ts";
import { makeHandlerMetrics } from "./metrics.ts";
import { makeParkingLot, type ParkingLot } from "./parked-skus.ts";

/**
 * A SKU whose appends keep failing (not a conflict, the store itself answering) is parked: visible in
 * the metric, the parking lot and `holdfast handler parked`, while another SKU keeps being decided;
 * `holdfast handler resume SKU` makes the handler decide its waiting commands.
 */
const ROOT = new URL("../../", import.meta.url).pathname;
let h: Harness;
let infra: OpenCommandQueue;
let handler: RunningHandler;
let parking: ParkingLot;
const registry = makeRegistry({ defaults: false });
const refusing = new Set<string>();

beforeAll(async () => {
  h = await startHarness("parked");
  const config = decodeConfig({
    DATABASE_URL: h.databaseUrl,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    HOLDFAST_JWT_SECRET: SECRET,
  });
  if (E.isLeft(config)) throw new Error(config.left.message);
  const logger = silentLogger();
  infra = await openCommandQueue(config.right, { topics: h.ns.topics, clientId: "test-parked", logger });
  // The store refuses the events of the SKUs in `refusing` (as a full disk or a bad trigger would).
  const store: EventStore = {
    ...h.store,
    append: (streamId, expected, events) =>
      refusing.has(streamId)
        ? TE.left({ _tag: "InvalidAppend", streamId, reason: "the store refuses these events" })
        : h.store.append(streamId, expected, events),
  };
  parking = await makeParkingLot({ pool: infra.pool, store, groupId: h.ns.handlerGroup, logger, registry });
  handler = await startCommandHandler({
    kafka: infra.kafka,
    topics: h.ns.topics,
    groupId: h.ns.handlerGroup,
    store,
    now: () => new Date(),
    newId: randomUUID,
    recordedOutcome: (id) => readOutcome(h.redis, h.ns.redisPrefix, id),
    publish: (replies) => publishOutcomes(h.redis, h.ns.redisPrefix, replies),
    scheduler: { arm: () => undefined, stop: () => undefined },
    logger,
    metrics: makeHandlerMetrics(registry),
    registry,
    parking,
  });
});
afterAll(async () => {
  await handler?.stop();
  await infra?.stop();
  await h?.close();
});

const enqueue = async (skuId: string, command: SkuCommandBody): Promise<string> => {
  const cmd = queuedCommand(skuId, command);
  const r = await infra.queue.enqueue(cmd)();
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return cmd.requestId;
};
const list = (skuId: string) =>
  enqueue(skuId, {
    type: "ListSku",
    skuId,
    name: "Tee",
    description: "",
    priceCents: 100,
    currency: "EUR",
    stock: 5,
    perUserLimit: 1,
    holdSeconds: 600,
    saleStartsAt: null,
    saleEndsAt: null,
    tags: [],
  } as unknown as SkuCommandBody);
const reserve = (skuId: string, userId: string) =>
  enqueue(skuId, {
    type: "PlaceReservation",
    reservationId: randomUUID(),
    userId,
    quantity: 1,
    allowPartial: false,
  } as unknown as SkuCommandBody);
const decided = (requestId: string) =>
  waitFor(
    `request ${requestId} to be decided`,
    async () => E.getOrElseW(() => null)(await readOutcome(h.redis, h.ns.redisPrefix, requestId)),
    30_000,
  );
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["ops/bin/holdfast.mjs", "handler", ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: h.databaseUrl },
    encoding: "utf8",
  });

describe("a SKU whose appends keep failing", () => {
  it("is parked and visible while other SKUs flow, and decided again after `holdfast handler resume`", async () => {
    const stuck = `stuck-${randomUUID().slice(0, 6)}`;
    const fine = `fine-${randomUUID().slice(0, 6)}`;
    await decided(await list(stuck));
    await decided(await list(fine));
    refusing.add(`sku-${stuck}`);
    const waiting = await reserve(stuck, "alice");
    await waitFor("the SKU to be parked", async () => parking.isParked(stuck), 30_000);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`holdfast_handler_parked_skus{sku="${stuck}"} 1`);
    const listed = cli("parked", "--json");
    expect(listed.status).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ skuId: string; reason: string; attempts: number }>;
    expect(rows.map((r) => r.skuId)).toEqual([stuck]);
    expect(rows[0]?.reason).toMatch(/InvalidAppend/);

    // Other SKUs keep flowing; the parked one's command waits, undecided.
    const other = await decided(await reserve(fine, "bob"));
    expect(other.status).toBe("accepted");
    expect(await readOutcome(h.redis, h.ns.redisPrefix, waiting)).toEqual(E.right(null));

    refusing.delete(`sku-${stuck}`);
    const resumed = cli("resume", stuck);
    expect(resumed.status, resumed.stderr).toBe(0);
    const o = await decided(waiting);
    expect(o.status).toBe("accepted");
    expect(parking.isParked(stuck)).toBe(false);
    expect(cli("resume", stuck).status).toBe(1);
    expect(JSON.parse(cli("parked", "--json").stdout)).toEqual([]);
  });
});
