/**
 * `npm run bench:read`: (1) availability GET req/s through the read API (served from its in-memory copy)
 * against a raw `node:http` handler that reads the same Redis hash and answers the same JSON, in the same
 * run, same machine; goal: ratio >= 0.9. (2) search at a constant 500 queries/s over 2,000 products:
 * queries drawn Zipf-like from the words of their names (one or two words, some with a filter or page 2)
 * plus a 10 % long tail of rare and misspelled queries; P95 overall (goal <= 150 ms), and the cache's
 * hit rate and the P95 of misses apart (each answer says which it was in `X-Search-Cache`). The servers
 * run in a child process (`--serve`), the load generator (autocannon, and an open-loop sender for
 * search) in this one. Isolated: own Redis namespace, own Elasticsearch prefix; all removed at the end.
 * `BENCH_SECONDS` (default 10) sets each phase's length; search is measured after a warm-up of
 * `BENCH_WARMUP_SECONDS` (default 5) at the same rate, reported apart.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { serve } from "@hono/node-server";
import { Client } from "@elastic/elasticsearch";
import * as E from "fp-ts/lib/Either.js";
import * as hdr from "hdr-histogram-js";
import { Redis } from "ioredis";
import pg from "pg";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { availabilityKeys, readAvailability } from "../../infra/redis/availability.ts";
import { availabilityProjection } from "../../projections/availability/redis.ts";
import { productsProjection } from "../../projections/products/elasticsearch.ts";
import { elasticsearchProductSearch } from "../../projections/products/search.ts";
import { cachedProductSearch } from "../../projections/products/search-cache.ts";
import { skuScenario } from "../../projections/testing/scenario.ts";
import { saleWorkload } from "../../projections/testing/workload.ts";
import { makeReadApp } from "../../read-api/app.ts";
import { makeAvailabilityCache } from "../../read-api/availability-cache.ts";
import { deleteKeysWithPrefix } from "../../projections/testing/redis.ts";
import { deleteIndicesWithPrefix } from "../../projections/testing/elasticsearch.ts";
import { argValue } from "./args.ts";
import { startProfile } from "./profile.ts";
import { GARMENTS, MATERIALS, pick, productName, queryMix } from "./search-mix.ts";

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p99: number };
  readonly non2xx: number;
}
type Autocannon = (
  opts: Record<string, unknown>,
  done: (err: unknown, result: AutocannonResult) => void,
) => unknown;
// autocannon ships no types; this is the part used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ES_URL = process.env.ELASTICSEARCH_URL ?? "http://127.0.0.1:9200";
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const PRODUCTS = 2000;
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const PROFILE = argValue("profile");

if (process.argv.includes("--serve")) {
  // Child: both servers on ephemeral ports, reporting them to the parent.
  const [namespace, prefix] = [process.argv[3] as string, process.argv[4] as string];
  const redis = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const raw = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const sub = new Redis(REDIS_URL);
  const es = new Client({ node: ES_URL });
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    max: 1,
  });
  const app = makeReadApp({
    redis,
    namespace,
    pool,
    search: cachedProductSearch(elasticsearchProductSearch(es, { prefix }), { redis, namespace }),
    availability: makeAvailabilityCache({ redis, subscriber: sub, namespace }),
    verify: async () => null,
    limiter: null,
    ipRead: null,
  });
  const apiServer = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  const gen = (await raw.get(availabilityKeys(namespace).pointer)) as string;
  const key = availabilityKeys(namespace).sku(gen, "bench-hot");
  // The baseline: the smallest honest handler for the same data: one HGETALL, same JSON shape.
  const rawServer = createServer((req, res) => {
    raw.hgetall(key).then((h) => {
      const total = Number(h.total);
      const held = Number(h.held);
      const sold = Number(h.sold);
      const available = total - held - sold;
      res.writeHead(200, { "Content-Type": "application/json", ETag: `"${h.revision}"` });
      res.end(
        JSON.stringify({
          skuId: "bench-hot",
          total,
          available,
          held,
          sold,
          status: available > 0 ? "open" : "sold_out",
          revision: Number(h.revision),
        }),
      );
    });
    void req;
  }).listen(0, "127.0.0.1");
  await new Promise((r) => setTimeout(r, 300));
  const port = (s: unknown) => (s as { address(): { port: number } }).address().port;
  // `--profile DIR`: the parent asks for a CPU profile of this process around each phase.
  let stopProfile: (() => Promise<void>) | null = null;
  process.on("message", (m: { profile?: string; stop?: boolean; dir?: string }) => {
    void (async () => {
      if (m.profile !== undefined && m.dir !== undefined) stopProfile = await startProfile(m.dir, m.profile);
      if (m.stop === true && stopProfile !== null) {
        await stopProfile();
        stopProfile = null;
      }
      const u = process.cpuUsage();
      process.send?.({ cpuMicros: u.user + u.system });
    })();
  });
  process.send?.({ api: port(apiServer), raw: port(rawServer) });
} else {
  const id = randomBytes(5).toString("hex");
  const namespace = `hfbench:${id}:`;
  const prefix = `hfbench-${id}-`;
  const redis = new Redis(REDIS_URL);
  const es = new Client({ node: ES_URL });
  const store = makeMemoryEventStore();
  const cleanup = async () => {
    await deleteKeysWithPrefix(redis, namespace);
    redis.disconnect();
    await deleteIndicesWithPrefix(es, prefix);
    await es.close();
  };
  try {
    // Seed: one hot SKU with a few thousand events, and 2,000 products to search.
    const hot = skuScenario(store, "bench-hot");
    await hot.append(...saleWorkload("bench-hot").next(3000));
    for (let i = 0; i < PRODUCTS; i++) {
      const s = skuScenario(store, `p-${i}`);
      const first = saleWorkload(`p-${i}`).next(1)[0] as { type: "SkuListed"; data: Record<string, unknown> };
      first.data.name = productName(i);
      first.data.description = `A ${pick(MATERIALS, i * 7)} ${pick(GARMENTS, i * 3)} for the benchmark`;
      first.data.priceCents = 500 + (i % 100) * 100;
      first.data.tags = [pick(GARMENTS, i)];
      await s.append(first as never);
    }
    const all = await store.readAll(null, 1_000_000)();
    if (E.isLeft(all)) throw new Error("read");
    const { applyRecorded, DEFAULT_RETRY } = await import("../../projections/runtime/apply.ts");
    for (const p of [availabilityProjection(redis, { namespace }), productsProjection(es, { prefix })])
      for (let i = 0; i < all.right.length; i += 2000)
        await applyRecorded(p, all.right.slice(i, i + 2000), DEFAULT_RETRY);
    await es.indices.refresh({ index: `${prefix}products` });
    const check = await readAvailability(redis, "bench-hot", { namespace });
    process.stdout.write(`seeded: hot SKU at revision ${check?.revision}, ${PRODUCTS} products indexed\n`);

    const child = fork(new URL(import.meta.url).pathname, ["--serve", namespace, prefix], {
      execArgv: ["--import", new URL("../bin/ts-loader.mjs", import.meta.url).pathname],
    });
    const ports = await new Promise<{ api: number; raw: number }>((resolve) =>
      child.once("message", (m) => resolve(m as never)),
    );
    // Marks a phase in the child: its CPU time so far (µs), and a CPU profile around it with --profile.
    const childProfile = async (name: string | null): Promise<number> => {
      const acked = new Promise<{ cpuMicros: number }>((resolve) =>
        child.once("message", (m) => resolve(m as never)),
      );
      child.send(
        PROFILE === undefined ? {} : name === null ? { stop: true } : { profile: name, dir: PROFILE },
      );
      return (await acked).cpuMicros;
    };
    const run = (url: string) =>
      new Promise<AutocannonResult>((resolve, reject) =>
        autocannon({ url, connections: 64, pipelining: 1, duration: DURATION }, (err, r) =>
          err ? reject(err) : resolve(r),
        ),
      );
    // Warm up both, then alternate measurements so drift affects both alike.
    await run(`http://127.0.0.1:${ports.raw}/`);
    await run(`http://127.0.0.1:${ports.api}/v1/products/bench-hot/availability`);
    const rawR = await run(`http://127.0.0.1:${ports.raw}/`);
    const cpuA0 = await childProfile("availability");
    const apiR = await run(`http://127.0.0.1:${ports.api}/v1/products/bench-hot/availability`);
    const cpuA = (await childProfile(null)) - cpuA0;
    const ratio = apiR.requests.average / rawR.requests.average;
    process.stdout.write(
      `availability GET: read API ${Math.round(apiR.requests.average)} req/s (p99 ${apiR.latency.p99} ms, non-2xx ${apiR.non2xx}) vs raw node:http ${Math.round(rawR.requests.average)} req/s (p99 ${rawR.latency.p99} ms); ratio ${ratio.toFixed(2)} (goal >= 0.9); read API CPU ${(cpuA / Math.max(1, apiR.requests.total)).toFixed(1)} µs/request\n`,
    );

    // Search at a constant rate (open loop: requests are sent on schedule, whatever the answers). One
    // query sequence throughout; the first WARMUP seconds (cache cold) are reported apart.
    const rate = Number(process.env.BENCH_SEARCH_RATE ?? 500);
    const nextQuery = queryMix(PRODUCTS, 42);
    const ms = (h: hdr.Histogram, p: number) => (h.getValueAtPercentile(p) / 1000).toFixed(1);
    const searchPhase = async (label: string, seconds: number) => {
      const latency = hdr.build();
      const misses = hdr.build();
      const counts = { hit: 0, miss: 0, shared: 0, uncached: 0 };
      let errors = 0;
      const pending: Promise<void>[] = [];
      const start = Date.now();
      for (let i = 0; Date.now() - start < seconds * 1000; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const t0 = performance.now();
        pending.push(
          fetch(`http://127.0.0.1:${ports.api}/v1/products?${nextQuery()}`)
            .then(async (res) => {
              await res.arrayBuffer();
              if (res.status !== 200) errors += 1;
              const us = Math.round((performance.now() - t0) * 1000);
              latency.recordValue(us);
              const how = res.headers.get("X-Search-Cache");
              if (how === "hit" || how === "miss" || how === "shared") counts[how] += 1;
              else counts.uncached += 1;
              if (how !== "hit") misses.recordValue(us);
            })
            .catch(() => {
              errors += 1;
            }),
        );
      }
      await Promise.all(pending);
      const answered = latency.totalCount;
      const hitRate = answered === 0 ? 0 : counts.hit / answered;
      process.stdout.write(
        `search ${label} at ${rate} q/s for ${seconds} s: ${answered} answered, ${errors} errors; P50 ${ms(latency, 50)} ms, P95 ${ms(latency, 95)} ms, P99 ${ms(latency, 99)} ms (goal P95 <= 150 ms)\n` +
          `  cache: hit rate ${hitRate.toFixed(2)}: ${counts.hit} hits, ${counts.miss} misses, ${counts.shared} shared with an identical query in flight; misses+shared P50 ${ms(misses, 50)} ms, P95 ${ms(misses, 95)} ms, P99 ${ms(misses, 99)} ms\n`,
      );
      return { latency, misses, hitRate };
    };
    await searchPhase("warm-up (cache cold)", WARMUP);
    const cpuS0 = await childProfile("search");
    const { latency, misses, hitRate } = await searchPhase("measured", DURATION);
    const cpuS = (await childProfile(null)) - cpuS0;
    process.stdout.write(
      `  read API CPU ${(cpuS / Math.max(1, latency.totalCount)).toFixed(0)} µs/search request (cache, Elasticsearch client, live availability per item)\n`,
    );
    process.stdout.write(
      `read: availability ${ratio.toFixed(2)}× raw node, search P95 ${ms(latency, 95)} ms at ${rate} q/s (hit rate ${hitRate.toFixed(2)}, miss P95 ${ms(misses, 95)} ms)\n`,
    );
    child.kill();
  } finally {
    await store.close();
    await cleanup();
  }
}
