/**
 * `npm run bench:drain`: the serialized core at full speed. N mixed commands (default 300,000) for ONE
 * SKU are queued on its partition through the real producer (`makeKafkaCommandQueue`), then the command
 * handler (`holdfast serve --roles command-handler`, its own process) is started and timed until every
 * outcome has been published on the reply channel. Reports commands/s, the handler process's CPU-seconds
 * per 1,000 commands (from /proc, so the figure holds on a shared machine), chunk sizes, and verifies
 * the drained stream with the audit code (`verifyStore`: chain, invariants, decision replay, fairness).
 *
 * The mix: reservations of 1 unit, of 2 units all-or-nothing, of 2 units allowing a partial allocation,
 * and every 20th command a cancel of the reservation 10 commands earlier (refused when that one was
 * refused); stock is sized so that about 30 % of the commands are refused.
 *
 * Options: `--n 300000`, `--ports BASE` (listen on BASE…), `--profile DIR` (runs the handler under `node --cpu-prof`, profile in DIR).
 * Env: DATABASE_URL, REDIS_URL, KAFKA_BROKERS (API.md defaults). Ends with the line
 * `drain: <N> commands/s on one SKU (<cpu> CPU-s per 1k commands)`.
 */
import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import * as E from "fp-ts/lib/Either.js";
import { Redis } from "ioredis";
import pg from "pg";
import { makeKafkaCommandQueue } from "../../infra/command-queue/kafka.ts";
import { makePgPartitionRegistry } from "../../infra/command-queue/partitions.ts";
import { ensureTopics } from "../../infra/command-queue/topics.ts";
import type { QueuedCommand, SkuCommandBody } from "../../event-schemas/index.ts";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";
import { createTestDatabase } from "../../infra/event-store/postgres/test-database.ts";
import { makeKafka } from "../../infra/kafka/client.ts";
import { makeLogger } from "../../infra/observability/logger.ts";
import { verifyStore } from "../audit/verify-store.ts";
import { namespaceOf } from "../../infra/process/namespace.ts";
import { dropNamespace, freePort, waitFor } from "../serve/testing/harness.ts";
import { processCpuMicros } from "./process-cpu.ts";
import { argValue } from "./args.ts";

const N = Number(argValue("n") ?? 300_000);
if (!Number.isSafeInteger(N) || N < 100) throw new Error("--n takes a whole number >= 100");
const PROFILE_DIR = argValue("profile");
/** `--ports BASE`: the servers started listen on BASE, BASE+1, … (a range kept for this bench); else any free port. */
const PORT_BASE = argValue("ports");
let portsTaken = 0;
const benchPort = async (): Promise<number> =>
  PORT_BASE === undefined ? freePort() : Number(PORT_BASE) + portsTaken++;
/** Extra node flags for the handler process (e.g. `--node-flags=--max-semi-space-size=64`). */
const NODE_FLAGS = (argValue("node-flags") ?? "").split(" ").filter((f) => f !== "");
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
const ROOT = new URL("../../", import.meta.url).pathname;
const SKU = "drain-sku";
/** Commands enqueued per wave: one produce request stays well under the broker's 1 MiB batch limit. */
const WAVE = 1000;

const uuidOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

/** The i-th command of the mix (see the module comment). */
const commandAt = (i: number): SkuCommandBody => {
  if (i % 20 === 19) {
    const target = i - 10;
    return {
      type: "CancelReservation",
      reservationId: uuidOf(target),
      userId: `shopper-${target}`,
    } as unknown as SkuCommandBody;
  }
  const shape = i % 10;
  return {
    type: "PlaceReservation",
    reservationId: uuidOf(i),
    userId: `shopper-${i}`,
    quantity: shape === 3 || shape === 7 ? 2 : 1,
    allowPartial: shape === 3,
  } as unknown as SkuCommandBody;
};

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const main = async () => {
  const logger = makeLogger({ level: "warn" });
  const db = await createTestDatabase(
    process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast",
    "bench",
  );
  const ns = namespaceOf(`drain-${randomBytes(4).toString("hex")}`);
  const kafka = makeKafka({ kafkaBrokers: BROKERS.split(",") }, { clientId: "bench-drain" });
  const redis = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const admin = kafka.admin();
  let handler: ChildProcess | null = null;
  try {
    process.stdout.write(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}; queueing ${fmt(N)} commands for one SKU…\n`,
    );
    await admin.connect();
    await ensureTopics(admin, ns.topics);
    const registry = await makePgPartitionRegistry(pool, ns.topics.commands);
    const queue = await makeKafkaCommandQueue({ kafka, admin, registry, topics: ns.topics, logger });
    const replyTo = `${ns.redisPrefix}replies:drain`;
    const queued = (requestId: string, command: SkuCommandBody): QueuedCommand =>
      queuedCommand(SKU, command, { requestId, replyTo });
    // Stock for about 70 % of the reservation units asked for; after it is gone, refusals.
    const stock = Math.floor(N * 0.7);
    const listing = await queue.enqueue(
      queued(randomUUID(), {
        type: "ListSku",
        skuId: SKU,
        name: "Drain tee",
        description: "",
        priceCents: 1500,
        currency: "EUR",
        stock,
        perUserLimit: 2,
        holdSeconds: 86_400,
        saleStartsAt: null,
        saleEndsAt: null,
        tags: [],
      } as unknown as SkuCommandBody),
    )();
    if (E.isLeft(listing)) throw new Error(`enqueue ListSku: ${JSON.stringify(listing.left)}`);
    const t0 = performance.now();
    for (let from = 0; from < N; from += WAVE) {
      const wave: Array<Promise<unknown>> = [];
      for (let i = from; i < Math.min(N, from + WAVE); i++)
        wave.push(
          queue
            .enqueue(queued(uuidOf(1_000_000_000 + i), commandAt(i)))()
            .then((r) => {
              if (E.isLeft(r)) throw new Error(`enqueue: ${JSON.stringify(r.left)}`);
            }),
        );
      await Promise.all(wave);
    }
    process.stdout.write(
      `queued in ${((performance.now() - t0) / 1000).toFixed(1)} s; starting the handler…\n`,
    );
    await queue.stop();

    // Count outcomes as they are published on the reply channel.
    const expected = N + 1;
    let seen = 0;
    const answered = new Set<string>();
    let firstAt = 0;
    let lastAt = 0;
    let cpuAtFirst = 0;
    const statuses: Record<string, number> = {};
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((r) => {
      resolveAll = r;
    });
    let handlerPid = 0;
    subscriber.on("message", (_ch: string, text: string) => {
      const msg = JSON.parse(text) as {
        outcomes: Array<{ requestId: string; status: string; reason?: string }>;
      };
      if (seen === 0) {
        firstAt = performance.now();
        cpuAtFirst = processCpuMicros(handlerPid) ?? 0;
      }
      for (const o of msg.outcomes) {
        // Publication is at least once: count each request once.
        if (answered.has(o.requestId)) continue;
        answered.add(o.requestId);
        seen += 1;
        const k = o.status === "accepted" ? "accepted" : `refused:${o.reason}`;
        statuses[k] = (statuses[k] ?? 0) + 1;
      }
      if (seen >= expected) {
        lastAt = performance.now();
        resolveAll();
      }
    });
    await subscriber.subscribe(replyTo);

    const httpPort = await benchPort();
    const nodeArgs = [
      ...NODE_FLAGS,
      ...(PROFILE_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`]),
    ];
    const spawnedAt = performance.now();
    handler = spawn(
      process.execPath,
      [
        ...nodeArgs,
        "ops/bin/holdfast.mjs",
        "serve",
        "--roles",
        "command-handler",
        "--namespace",
        ns.name,
        "--host",
        "127.0.0.1",
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          REDIS_URL,
          KAFKA_BROKERS: BROKERS,
          HOLDFAST_JWT_SECRET: "bench-drain-secret-0123456789abcdef",
          HOLDFAST_HTTP_PORT: String(httpPort),
          HOLDFAST_RATE_LIMITS: "off",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    handlerPid = handler.pid ?? 0;
    let out = "";
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
    };
    handler.stdout?.on("data", keep);
    handler.stderr?.on("data", keep);
    const exited = new Promise<never>((_, reject) =>
      handler?.on("exit", (code) => reject(new Error(`the handler exited (${code}):\n${out}`))),
    );
    await Promise.race([all, exited]);
    const cpuAtLast = processCpuMicros(handlerPid) ?? 0;
    const seconds = (lastAt - firstAt) / 1000;
    const rate = (seen - 1) / seconds;
    const cpuPer1k = (cpuAtLast - cpuAtFirst) / 1e6 / ((seen - 1) / 1000);
    process.stdout.write(
      `handler: first outcome ${((firstAt - spawnedAt) / 1000).toFixed(1)} s after spawn (start, group join, load); ` +
        `${fmt(seen)} outcomes in ${seconds.toFixed(2)} s after that\n`,
    );
    process.stdout.write(`outcomes: ${JSON.stringify(statuses)}\n`);

    const metrics = await waitFor(
      "handler metrics",
      async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text(),
      10_000,
    );
    const value = (name: string) =>
      Number(
        metrics
          .split("\n")
          .find((l) => l.startsWith(`${name} `))
          ?.split(" ")[1] ?? "NaN",
      );
    const chunks = value("holdfast_handler_chunk_commands_count");
    const buckets = metrics
      .split("\n")
      .filter((l) => l.startsWith("holdfast_handler_chunk_commands_bucket"))
      .map((l) => {
        const le = /le="([^"]+)"/.exec(l)?.[1] ?? "?";
        return { le, n: Number(l.split(" ")[1]) };
      });
    let prev = 0;
    const histogram = buckets
      .map(({ le, n }) => {
        const s = `≤${le}: ${n - prev}`;
        prev = n;
        return s;
      })
      .filter((s) => !s.endsWith(": 0"))
      .join(", ");
    process.stdout.write(
      `chunks: ${fmt(chunks)}, mean ${(value("holdfast_handler_chunk_commands_sum") / chunks).toFixed(0)} commands, ` +
        `mean ${((value("holdfast_handler_chunk_seconds_sum") / chunks) * 1000).toFixed(1)} ms each (decide+append+publish); sizes ${histogram}\n`,
    );
    const stopped = new Promise((r) => handler?.once("exit", r));
    handler.kill("SIGTERM");
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 10_000))]);
    if (handler.exitCode === null) handler.kill("SIGKILL");
    handler = null;

    process.stdout.write("verifying the drained stream with the audit code…\n");
    const store = await makePostgresEventStore({ connectionString: db.url, maxConnections: 2 })();
    if (E.isLeft(store)) throw new Error(JSON.stringify(store.left));
    const v0 = performance.now();
    const report = await verifyStore(store.right, { skuId: SKU, pageSize: 5000 });
    await store.right.close();
    if (E.isLeft(report)) throw new Error(`audit could not run: ${JSON.stringify(report.left)}`);
    const r = report.right;
    process.stdout.write(
      `audit verify: ${r.ok ? "clean" : `${r.violationCount} violation(s)`}, ${fmt(r.events)} events, ` +
        `${((performance.now() - v0) / 1000).toFixed(1)} s\n`,
    );
    if (!r.ok) {
      process.stdout.write(`${JSON.stringify(r.streams[0], null, 1).slice(0, 3000)}\n`);
      process.exitCode = 1;
    }
    if (seen !== expected) throw new Error(`saw ${seen} outcomes, expected ${expected}`);
    process.stdout.write(
      `drain: ${fmt(rate)} commands/s on one SKU (${cpuPer1k.toFixed(3)} CPU-s per 1k commands)\n`,
    );
  } finally {
    if (handler !== null) handler.kill("SIGKILL");
    subscriber.disconnect();
    await admin.disconnect().catch(() => undefined);
    await pool.end();
    await dropNamespace(kafka, redis, ns).catch(() => undefined);
    redis.disconnect();
    await db.drop();
  }
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
