/**
 * `npm run bench:rebuild [-- --events N --skus K]`: rebuild each projection from N events (default
 * 1,000,000) on the real servers, and print events/s. Everything is isolated: a database of its own
 * (event store + order views), a Redis namespace and Elasticsearch index prefix of its own, all removed
 * at the end. Events are real sealed SkuEvents (hash-chained) appended to the PostgreSQL event store.
 *
 * Two feed baselines: "feed read only (verified)" reads the stored texts and checks every event's bytes
 * against its hash (`readAllStoredPages`, one page ahead, nothing decoded), the summary's `feed` figure;
 * "feed read + decode" also decodes them into envelopes and events (`projectStoredPage`: the scanner,
 * no JSON.parse), what a rebuild gets before its projection's own work. Each
 * line gives this process's CPU µs per event and the load average: the machine may be shared.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { Client } from "@elastic/elasticsearch";
import * as E from "fp-ts/lib/Either.js";
import { Redis } from "ioredis";
import pg from "pg";
import { openPool } from "../../infra/postgres/pool.ts";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";
import { expectTip } from "../../infra/event-store/port.ts";
import { withWorkerPreparer } from "../../projections/rebuild/prepare.ts";
import { rebuildProjection } from "../../projections/rebuild/rebuild.ts";
import { projectStoredPage } from "../../projections/runtime/project-stored.ts";
import { availabilityTarget, ordersTarget, productsTarget } from "../../projections/rebuild/targets.ts";
import { skuScenario } from "../../projections/testing/scenario.ts";
import { saleWorkload } from "../../projections/testing/workload.ts";
import { deleteKeysWithPrefix } from "../../projections/testing/redis.ts";
import { deleteIndicesWithPrefix } from "../../projections/testing/elasticsearch.ts";
import { argValue } from "./args.ts";
import { profilePhase } from "./profile.ts";

const EVENTS = Number(argValue("events") ?? 1_000_000);
const SKUS = Number(argValue("skus") ?? 100);
const PROFILE = argValue("profile");
/** Events per feed page and per rebuild batch. */
const PAGE = Number(argValue("page") ?? 5000);
const only = process.argv.includes("--only")
  ? process.argv[process.argv.indexOf("--only") + 1]?.split(",")
  : undefined;

const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
const id = randomBytes(5).toString("hex");
const dbName = `hf_bench_${id}`;
const adminUrl = new URL(base);
adminUrl.pathname = "/postgres";
const dbUrl = new URL(base);
dbUrl.pathname = `/${dbName}`;
const admin = new pg.Pool({ connectionString: adminUrl.toString(), max: 1 });
await admin.query(`CREATE DATABASE ${dbName}`);
const pool = openPool({ databaseUrl: dbUrl.toString() }, { max: 6 });
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const namespace = `hfbench:${id}:`;
const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? "http://127.0.0.1:9200" });
const prefix = `hfbench-${id}-`;

const cleanup = async () => {
  await deleteKeysWithPrefix(redis, namespace);
  redis.disconnect();
  await deleteIndicesWithPrefix(es, prefix);
  await es.close();
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
};

try {
  const storeR = await makePostgresEventStore({
    connectionString: dbUrl.toString(),
    applicationName: "bench-rebuild",
  })();
  if (E.isLeft(storeR)) throw new Error(JSON.stringify(storeR.left));
  const store = storeR.right;
  process.stdout.write(`seeding ${EVENTS.toLocaleString()} events over ${SKUS} SKUs into ${dbName}…\n`);
  const t0 = Date.now();
  const skus = Array.from({ length: SKUS }, (_, i) => ({
    s: skuScenario(null, `bench-${i}`),
    w: saleWorkload(`bench-${i}`),
  }));
  const CHUNK = 500;
  let written = 0;
  const inflight: Promise<void>[] = [];
  for (let k = 0; written < EVENTS; k++) {
    const { s, w } = skus[k % SKUS]!;
    const n = Math.min(CHUNK, EVENTS - written);
    const before = s.tip();
    const sealed = s.seal(...w.next(n));
    written += n;
    inflight.push(
      store
        .append(s.streamId, expectTip(before), sealed)()
        .then((r) => {
          if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
        }),
    );
    // Streams differ per chunk in a round, so up to SKUS appends may run at once; keep 4 in flight.
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  process.stdout.write(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  // A log that has been there a while: hint bits set and statistics known, so the first phase measured
  // does not pay for writing every freshly inserted page back (which the later phases then skip).
  await pool.query("VACUUM (ANALYZE) event_store.events");

  const targets = [
    availabilityTarget(redis, namespace),
    ordersTarget(pool),
    productsTarget(es, prefix),
  ].filter((t) => only === undefined || only.includes(t.name));
  const results: Array<{
    projection: string;
    events: number;
    seconds: number;
    eventsPerSecond: number;
    cpuMicrosPerEvent: number;
  }> = [];
  // CPU of this process only (user + system): the database's and Redis's work is not in it.
  const cpuMicros = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  const feedPhase = async (
    name: string,
    pages: () => AsyncIterable<E.Either<unknown, ReadonlyArray<{ position: bigint }>>>,
  ) => {
    // Reading the feed alone, one page ahead as the rebuild reads it. No projection can rebuild faster
    // than this in one process.
    const start = process.hrtime.bigint();
    const cpu0 = cpuMicros();
    let n = 0;
    await profilePhase(PROFILE, name === "(feed read only)" ? "feed" : "feed-decoded", async () => {
      for await (const page of pages()) {
        if (E.isLeft(page)) throw new Error(String(page.left));
        n += page.right.length;
      }
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = (cpuMicros() - cpu0) / n;
    results.push({
      projection: name,
      events: n,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(n / seconds),
      cpuMicrosPerEvent: Number(cpu.toFixed(2)),
    });
    return { n, seconds, cpu };
  };
  {
    // Verified: every event's stored bytes hash to the hash they carry (nothing decoded; each consumer
    // decodes what it uses, as the rebuilds below do for every event).
    const f = await feedPhase("(feed read only)", () => store.readAllStoredPages(null, PAGE, "sku-"));
    process.stdout.write(
      `feed read only (verified): ${f.n} events in ${f.seconds.toFixed(2)} s = ${Math.round(f.n / f.seconds)} events/s, ${f.cpu.toFixed(2)} CPU µs/event (load ${load()})\n`,
    );
    // Verified and decoded (scanned) into envelopes and events: what a rebuild gets before its
    // projection's own work.
    const d = await feedPhase("(feed decoded)", async function* () {
      for await (const page of store.readAllStoredPages(null, PAGE, "sku-"))
        yield E.isLeft(page) ? page : projectStoredPage(page.right);
    });
    process.stdout.write(
      `feed read + decode: ${d.n} events in ${d.seconds.toFixed(2)} s = ${Math.round(d.n / d.seconds)} events/s, ${d.cpu.toFixed(2)} CPU µs/event (load ${load()})\n`,
    );
  }
  for (const target of targets) {
    const start = process.hrtime.bigint();
    const cpu0 = cpuMicros();
    let lastPrint = Date.now();
    const r = await profilePhase(PROFILE, target.name, () =>
      withWorkerPreparer(target.prepared, new URL("../bin/worker-boot.mjs", import.meta.url), (preparer) =>
        rebuildProjection({
          store,
          target,
          batchSize: PAGE,
          preparer,
          onProgress: (p) => {
            if (Date.now() - lastPrint > 2000) {
              lastPrint = Date.now();
              const s = Number(process.hrtime.bigint() - start) / 1e9;
              process.stdout.write(
                `  ${target.name}: ${p.events} events, ${Math.round(p.events / s)} events/s\n`,
              );
            }
          },
        }),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = (cpuMicros() - cpu0) / Math.max(1, r._tag === "Swapped" ? r.events : 1);
    if (r._tag !== "Swapped") throw new Error(`${target.name}: ${r.reason}`);
    results.push({
      projection: target.name,
      events: r.events,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(r.events / seconds),
      cpuMicrosPerEvent: Number(cpu.toFixed(2)),
    });
    process.stdout.write(
      `${target.name}: ${r.events} events in ${seconds.toFixed(2)} s = ${Math.round(r.events / seconds)} events/s, ${cpu.toFixed(2)} CPU µs/event (this process; load ${load()})\n`,
    );
  }
  console.table(results);
  const rate = (name: string) => {
    const x = results.find((r) => r.projection === name);
    return x === undefined ? "-" : String(x.eventsPerSecond);
  };
  process.stdout.write(
    `rebuild: ${rate("availability")} events/s availability, ${rate("orders")} orders, ${rate("products")} products; feed ${rate("(feed read only)")} events/s\n`,
  );
  await store.close();
} finally {
  await cleanup();
}
