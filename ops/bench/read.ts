/**
 * `npm run bench:read`: (1) availability GET req/s through the read API against a raw `node:http`
 * handler that reads the same Redis hash and answers the same JSON, in the same run, same machine;
 * goal: ratio >= 0.8. (2) search P95 latency at a constant 500 req/s. The servers run in a child process
 * (`--serve`), the load generator (autocannon, and a constant-rate loop for search) in this one.
 * Isolated: own Redis namespace, own Elasticsearch prefix, own database; all removed at the end.
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
import { skuScenario } from "../../projections/testing/scenario.ts";
import { saleWorkload } from "../../projections/testing/workload.ts";
import { makeReadApp } from "../../read-api/app.ts";
import { makeAvailabilityCache } from "../../read-api/availability-cache.ts";
import { deleteKeysWithPrefix } from "../../projections/testing/redis.ts";
import { deleteIndicesWithPrefix } from "../../projections/testing/elasticsearch.ts";

interface AutocannonResult {
  readonly requests: { readonly average: number };
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
    search: elasticsearchProductSearch(es, { prefix }),
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
    const words = ["cotton", "linen", "wool", "tee", "hoodie", "scarf", "cap", "sock", "jacket", "denim"];
    for (let i = 0; i < 2000; i++) {
      const s = skuScenario(store, `p-${i}`);
      const w = saleWorkload(`p-${i}`);
      const first = w.next(1)[0] as { type: "SkuListed"; data: Record<string, unknown> };
      first.data.name = `${words[i % 10]} ${words[(i * 7) % 10]} ${i}`;
      first.data.description = `A ${words[(i * 3) % 10]} product for the benchmark`;
      first.data.priceCents = 500 + (i % 100) * 100;
      await s.append(first as never, ...w.next(3).slice(0, 0));
    }
    const all = await store.readAll(null, 1_000_000)();
    if (E.isLeft(all)) throw new Error("read");
    const { applyRecorded, DEFAULT_RETRY } = await import("../../projections/runtime/apply.ts");
    for (const p of [availabilityProjection(redis, { namespace }), productsProjection(es, { prefix })])
      for (let i = 0; i < all.right.length; i += 2000)
        await applyRecorded(p, all.right.slice(i, i + 2000), DEFAULT_RETRY);
    await es.indices.refresh({ index: `${prefix}products` });
    const check = await readAvailability(redis, "bench-hot", { namespace });
    process.stdout.write(`seeded: hot SKU at revision ${check?.revision}, 2000 products indexed\n`);

    const child = fork(new URL(import.meta.url).pathname, ["--serve", namespace, prefix], {
      execArgv: ["--import", "tsx"],
    });
    const ports = await new Promise<{ api: number; raw: number }>((resolve) =>
      child.once("message", (m) => resolve(m as never)),
    );
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
    const apiR = await run(`http://127.0.0.1:${ports.api}/v1/products/bench-hot/availability`);
    const ratio = apiR.requests.average / rawR.requests.average;
    process.stdout.write(
      `availability GET: read API ${Math.round(apiR.requests.average)} req/s (p99 ${apiR.latency.p99} ms, non-2xx ${apiR.non2xx}) vs raw node:http ${Math.round(rawR.requests.average)} req/s (p99 ${rawR.latency.p99} ms); ratio ${ratio.toFixed(2)} (goal >= 0.8)\n`,
    );

    // Search at a constant 500 req/s (open loop: requests are sent on schedule, whatever the answers).
    const h = hdr.build();
    const rate = 500;
    const queries = ["cotton", "wool tee", "hoodie", "linen scarf", "denim jacket", "sock", "cap"];
    let errors = 0;
    const pending: Promise<void>[] = [];
    const start = Date.now();
    for (let i = 0; Date.now() - start < DURATION * 1000; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      const q = queries[i % queries.length] as string;
      const inStock = i % 2 === 0 ? "&inStock=true" : "";
      pending.push(
        fetch(
          `http://127.0.0.1:${ports.api}/v1/products?q=${encodeURIComponent(q)}${inStock}&minPriceCents=${(i % 50) * 100}&size=20`,
        )
          .then(async (res) => {
            await res.arrayBuffer();
            if (res.status !== 200) errors += 1;
            h.recordValue(Math.round((performance.now() - t0) * 1000));
          })
          .catch(() => {
            errors += 1;
          }),
      );
    }
    await Promise.all(pending);
    const us = (p: number) => (h.getValueAtPercentile(p) / 1000).toFixed(1);
    process.stdout.write(
      `search at ${rate} req/s for ${DURATION} s: ${h.totalCount} answered, ${errors} errors; P50 ${us(50)} ms, P95 ${us(95)} ms, P99 ${us(99)} ms (goal P95 <= 150 ms)\n`,
    );
    child.kill();
  } finally {
    await store.close();
    await cleanup();
  }
}
