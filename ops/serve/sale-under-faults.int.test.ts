import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULT_KEY_PREFIX } from "../../write-api/admission.ts";
import type { FinalAnswer } from "./testing/answers.ts";
import {
  client,
  type Harness,
  type ServeProcess,
  startHarness,
  waitFor,
  metricTotal,
} from "./testing/harness.ts";
import { checkReservationInvariants } from "./testing/invariants.ts";
import { type PrivateServer, startPrivateKafka, startPrivateRedis } from "./testing/private-servers.ts";

/**
 * A flash sale through HTTP while things break: the command handler SIGKILLed, a write API SIGKILLed
 * between the idempotency claim and the enqueue, Kafka stopped and started twice, Redis restarted, the handler stopped with SIGTERM.
 * Kafka and Redis are this test's OWN instances (free ports, data under .holdfast/), never the shared
 * ones. Every shopper retries with the same Idempotency-Key until it has a final answer (201/409).
 * Afterwards: zero oversell, every request decided exactly once and the retry with its key gets the
 * same answer, none pending, the audit clean. The report prints how long decisions stopped per fault
 * and how many requests needed a retry (printed, never asserted as timings).
 */
const STOCK = 150;
/** Units added before the kill-after-claim fault, so the victim's request reaches the claim. */
const RESTOCK = 5;
const RATE_PER_S = 12;
const ROOT = new URL("../../", import.meta.url).pathname;

let kafka: PrivateServer;
let redis: PrivateServer;
let h: Harness;
let admin: string;

beforeAll(async () => {
  [kafka, redis] = await Promise.all([startPrivateKafka("sale-faults"), startPrivateRedis("sale-faults")]);
  h = await startHarness("salefaults", { redisUrl: redis.address, kafkaBrokers: [kafka.address] });
  admin = await h.token("ops", true);
}, 180_000);

/** Every `holdfast serve` child, for `HOLDFAST_FAULT_LOGS=dir` (their JSON logs, to study a run). */
const served: ServeProcess[] = [];
const serve = async (...args: Parameters<Harness["serve"]>): Promise<ServeProcess> => {
  const p = await h.serve(...args);
  served.push(p);
  return p;
};

afterAll(async () => {
  const dir = process.env.HOLDFAST_FAULT_LOGS;
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    for (const p of served) writeFileSync(join(dir, `serve-${p.child.pid}.log`), p.output());
  }
  await h?.close().catch(() => undefined);
  await Promise.all([kafka?.close(), redis?.close()]);
}, 120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tracked extends FinalAnswer {
  readonly key: string;
  readonly retries: number;
  readonly token: string;
}

interface Fault {
  readonly name: string;
  readonly at: number;
  /** When the dependency (or a replacement process) was healthy again. */
  healthyAt: number;
  /** When the dependency stopped answering (Kafka's controlled shutdown takes a while). */
  downAt?: number;
}

describe("a sale under faults", () => {
  it("never oversells, answers every request once, and resumes after each fault", async () => {
    const handlers: ServeProcess[] = [await serve("command-handler")];
    const apiEnv = { HOLDFAST_TEST_FAULT: "kill-after-claim" };
    const apis: ServeProcess[] = await Promise.all([
      serve("write-api", { waitMs: 3000, env: apiEnv }),
      serve("write-api", { waitMs: 3000 }),
    ]);
    const live = () => apis.filter((a) => a.child.exitCode === null && a.child.signalCode === null);
    const pick = () => {
      const l = live();
      return l[Math.floor(Math.random() * l.length)] ?? apis[apis.length - 1]!;
    };
    const skuId = `sale-${randomUUID().slice(0, 8)}`;
    const listed = await client(apis[1]!.port).listSku(admin, { skuId, stock: STOCK, holdSeconds: 3600 });
    expect(listed.status).toBe(201);

    /** One shopper: retries with the SAME key until a final answer (201/409), following a 202. */
    const shop = async (userId: string, key: string = randomUUID()): Promise<Tracked> => {
      const token = await h.token(userId);
      const deadline = Date.now() + 150_000;
      let retries = 0;
      let requestId: string | null = null;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`request with key ${key} never got a final answer`);
        const c = client(pick().port);
        try {
          if (requestId !== null) {
            const p = await c.request(token, requestId);
            if (p.status === 200 && p.body.status === "pending") {
              await sleep(200);
              continue;
            }
            if (p.status === 201 || p.status === 409)
              return { userId, key, token, first: 202, status: p.status, body: p.body, retries };
            retries++;
            await sleep(300);
            continue;
          }
          const r = await c.reserve(token, skuId, { quantity: 1 }, key);
          if (r.status === 201 || r.status === 409)
            return { userId, key, token, first: r.status, status: r.status, body: r.body, retries };
          if (r.status === 202) {
            requestId = String(r.body.requestId);
            continue;
          }
          if (r.status !== 503) throw new Error(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
          retries++;
          await sleep(Number(r.headers.get("Retry-After") ?? "1") * 300);
        } catch (e) {
          if (String(e).includes("unexpected")) throw e;
          // Connection refused or reset (a killed write API, a restart): retry with the same key.
          retries++;
          await sleep(300);
        }
      }
    };

    // Load: RATE_PER_S new shoppers per second until the faults are over.
    const started = Date.now();
    const shoppers: Array<Promise<Tracked>> = [];
    const done = { n: 0 };
    const track = (p: Promise<Tracked>) => {
      shoppers.push(
        p.then((a) => {
          done.n += 1;
          return a;
        }),
      );
    };
    let loading = true;
    const loader = (async () => {
      for (let i = 0; loading; i++) {
        track(shop(`u-${i}`));
        await sleep(1000 / RATE_PER_S);
      }
    })();
    /** Let the sale make progress: `more` shoppers answered from now on. */
    const progress = async (more: number) => {
      const base = done.n;
      await waitFor(`${more} more answers`, async () => done.n >= base + more, 90_000, 100);
    };
    const faults: Fault[] = [];
    /**
     * While a dependency is down a write is answered 503 `unavailable` with Retry-After, not held; the
     * shopper then retries with the same key like every other one (its command may still be decided).
     */
    const probeOutage = async (userId: string) => {
      const key = randomUUID();
      const r = await client(pick().port).reserve(await h.token(userId), skuId, { quantity: 1 }, key);
      if (r.status === 409) {
        // Sold out by now: the edge answers from the handler's figures in Redis, without the queue.
        expect(r.body.type).toBe("/problems/sold-out");
        expect(r.body.requestId).toBeUndefined();
      } else {
        expect(r.status).toBe(503);
        expect(r.body.type).toBe("/problems/unavailable");
        expect(Number(r.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
      }
      track(shop(userId, key).then((a) => ({ ...a, retries: a.retries + 1 })));
    };

    await progress(20);

    // 1. The handler that owns the SKU's partition is SIGKILLed; a standby in the group takes over.
    handlers.push(await serve("command-handler"));
    await progress(10);
    const decided = await Promise.all(
      handlers.map((p) => metricTotal(p.port, "holdfast_commands_decided_total")),
    );
    await progress(10);
    const decided2 = await Promise.all(
      handlers.map((p) => metricTotal(p.port, "holdfast_commands_decided_total")),
    );
    const owner = decided2[1]! > decided[1]! ? 1 : 0;
    const killed = handlers[owner]!;
    const f1: Fault = { name: "handler SIGKILL", at: Date.now(), healthyAt: Date.now() };
    killed.child.kill("SIGKILL");
    await killed.exited;
    faults.push(f1);
    await progress(20);
    handlers.push(await serve("command-handler")); // a new standby for what follows

    // 2. A write API is SIGKILLed after claiming a key, before the command reaches Kafka. The sale may be
    // sold out by now (everything held: refused at the edge, before any claim), so restock first; the
    // restock's 200 guarantees the next request is not refused from older figures.
    const restocked = await client(apis[1]!.port).post(`/v1/skus/${skuId}/stock`, admin, {
      quantity: RESTOCK,
    });
    expect(restocked.status).toBe(200);
    const faulty = apis[0]!;
    const f2: Fault = { name: "write API SIGKILL between claim and enqueue", at: Date.now(), healthyAt: 0 };
    const killKey = `${FAULT_KEY_PREFIX}${randomUUID()}`;
    const aliceToken = await h.token("fault-victim");
    const first = await client(faulty.port)
      .reserve(aliceToken, skuId, { quantity: 1 }, killKey)
      .then(
        (r) => r.status,
        () => "connection lost",
      );
    expect(first).toBe("connection lost");
    await faulty.exited;
    expect(faulty.child.signalCode).toBe("SIGKILL");
    faults.push(f2);
    // The dead process left the key claimed, with its request id and command, and nothing on the queue.
    const orphan = await h.redis.hgetall(`${h.ns.redisPrefix}idem2:fault-victim:${killKey}`);
    expect(orphan.s).toBe("c");
    expect(orphan.r).toMatch(/^[0-9a-f-]{36}$/);
    const victim = shop("fault-victim", killKey).then((a) => ({ ...a, retries: a.retries + 1 }));
    track(victim);
    apis.push(await serve("write-api", { waitMs: 3000 }));
    f2.healthyAt = Date.now();
    await progress(20);

    // 3 and 4. Kafka stopped and started, twice.
    for (const n of [1, 2]) {
      const f: Fault = { name: `Kafka stop/start #${n}`, at: Date.now(), healthyAt: 0 };
      await kafka.stop();
      f.downAt = Date.now();
      await probeOutage(`kafka-probe-${n}`);
      await sleep(3000); // the outage itself
      await kafka.start();
      f.healthyAt = Date.now();
      faults.push(f);
      await progress(20);
    }

    // 5. Redis restarted.
    const f5: Fault = { name: "Redis restart", at: Date.now(), healthyAt: 0 };
    await redis.stop();
    f5.downAt = Date.now();
    await probeOutage("redis-probe");
    await sleep(2000);
    await redis.start();
    f5.healthyAt = Date.now();
    faults.push(f5);
    await progress(20);

    // 6. A clean stop (SIGTERM) of the handler that owns the partition hands it over at once.
    const alive = handlers.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    const before = await Promise.all(
      alive.map((p) => metricTotal(p.port, "holdfast_commands_decided_total")),
    );
    await progress(10);
    const after = await Promise.all(alive.map((p) => metricTotal(p.port, "holdfast_commands_decided_total")));
    const busy = alive[after.findIndex((n, i) => n > before[i]!)] ?? alive[0]!;
    const f6: Fault = { name: "handler SIGTERM", at: Date.now(), healthyAt: Date.now() };
    busy.child.kill("SIGTERM");
    faults.push(f6);
    expect(await busy.exited).toBe(0);
    await progress(20);

    loading = false;
    await loader;
    const answers = await Promise.all(shoppers);
    const loadEnded = Date.now();

    // Zero oversell, each request decided exactly once, answers agreeing with the log.
    await checkReservationInvariants(h, skuId, STOCK + RESTOCK, answers);
    const v = await victim;
    expect([201, 409]).toContain(v.status);
    // The retry enqueued the SAME request id the dead process had claimed, decided exactly once.
    const victimEvents = (await h.stream(skuId)).filter((e) => e.envelope.requestId === orphan.r);
    expect(victimEvents.map((e) => e.event.type)).toEqual([
      v.status === 201 ? "ReservationPlaced" : "ReservationRejected",
    ]);

    // The retry with the same key gets the same final answer.
    const c = client(pick().port);
    for (const a of answers) {
      const again = await c.reserve(a.token, skuId, { quantity: 1 }, a.key);
      const final =
        again.status === 202
          ? await waitFor("a replayed request's outcome", async () => {
              const p = await c.request(a.token, String(again.body.requestId));
              return p.body.status === "pending" ? null : p;
            })
          : again;
      expect({ key: a.key, status: final.status }).toEqual({ key: a.key, status: a.status });
      if (a.status === 201) expect(final.body.reservationId).toBe(a.body.reservationId);
    }

    // The audit is clean.
    const audit = spawnSync(process.execPath, ["ops/bin/holdfast.mjs", "audit", "verify", "--sku", skuId], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: h.databaseUrl },
      encoding: "utf8",
    });
    expect(audit.status, `${audit.stdout}\n${audit.stderr}`).toBe(0);

    // Report: how long decisions stopped around each fault, and retries.
    const decisions = (await h.stream(skuId))
      .filter((e) => e.event.type === "ReservationPlaced" || e.event.type === "ReservationRejected")
      .map((e) => Date.parse(e.envelope.occurredAt))
      .sort((a, b) => a - b);
    const lines = faults.map((f, i) => {
      const until = faults[i + 1]?.at ?? loadEnded;
      const inWindow = decisions.filter((t) => t >= f.at - 1000 && t <= until);
      let gap = 0;
      let prev = f.at;
      for (const t of inWindow.filter((t) => t >= f.at)) {
        gap = Math.max(gap, t - prev);
        prev = t;
      }
      const resumed = decisions.find((t) => t >= f.healthyAt);
      const afterHealthy =
        f.healthyAt > f.at && resumed !== undefined
          ? `${((resumed - f.healthyAt) / 1000).toFixed(1)} s`
          : "-";
      const down =
        f.downAt === undefined
          ? ""
          : `; stopping took ${((f.downAt - f.at) / 1000).toFixed(1)} s, down until healthy ${((f.healthyAt - f.downAt) / 1000).toFixed(1)} s`;
      return `  ${f.name.padEnd(44)} decisions stopped ${(gap / 1000).toFixed(1)} s; first decision after healthy: ${afterHealthy}${down}`;
    });
    const retried = answers.filter((a) => a.retries > 0);
    console.info(
      [
        `sale under faults: ${answers.length} requests, ${STOCK} units, ${((loadEnded - started) / 1000).toFixed(0)} s`,
        ...lines,
        `  requests that needed a retry: ${retried.length} (retries in all: ${retried.reduce((n, a) => n + a.retries, 0)})`,
        `  the killed request (${v.key.slice(0, 24)}…): ${v.status} after ${v.retries} retries`,
      ].join("\n"),
    );
  }, 240_000);
});
