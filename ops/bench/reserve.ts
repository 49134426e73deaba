/**
 * `npm run bench:reserve`: full-path reservations per second on ONE SKU against `holdfast serve`, and in
 * the same run the ceiling, a bare hono endpoint doing one ioredis EVALSHA check-and-decrement, with the
 * same load tool (autocannon) and connection count. Prints both rates, their ratio and P50/P95/P99.
 *
 * Full path = POST /v1/skus/{sku}/reservations with a shopper JWT and a unique Idempotency-Key: JWT
 * check, body decode, SKU registry, idempotency claim (Redis Lua), Kafka produce (acks=all, idempotent),
 * the command handler's batch decide + hash chain + PostgreSQL append, outcome via Redis pub/sub, 201.
 * A 202 (decision slower than the wait budget) counts as an answer but is reported apart.
 *
 * Setup (untimed): a throwaway database, its own topics/keys (namespace), `holdfast serve` with
 * HOLDFAST_RATE_LIMITS=off on 127.0.0.1, a SKU with 100,000,000 units and a per-user limit of 1,000,000,
 * BENCH_SHOPPERS shopper tokens. Env: BENCH_SECONDS (default 20), BENCH_CONNECTIONS (default 50),
 * BENCH_SHOPPERS (default 2000), BENCH_PROCESSES (1: one `holdfast serve` with both roles, the default;
 * 2: write API and command handler in two processes), KAFKA_BROKERS, REDIS_URL, DATABASE_URL (server only).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import * as hdr from "hdr-histogram-js";
import { Kafka, logLevel } from "kafkajs";
import { Redis } from "ioredis";
import { createTestDatabase } from "../../infra/event-store/postgres/test-database.ts";
import { signToken } from "../../infra/http/auth.ts";
import { namespaceOf } from "../serve/namespace.ts";
import { dropNamespace, freePort, waitFor } from "../serve/testing/harness.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SHOPPERS = Number(process.env.BENCH_SHOPPERS ?? 2000);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 1);
const SECRET = "benchmark-secret-0123456789abcdef";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
const ROOT = new URL("../../", import.meta.url).pathname;

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}
interface AutocannonInstance {
  on(event: "response", f: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
interface RawRequest {
  headers?: Record<string, string>;
}
type Autocannon = (
  opts: Record<string, unknown>,
  done: (err: unknown, result: AutocannonResult) => void,
) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

interface Measured {
  readonly rps: number;
  readonly total: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

const load = (opts: Record<string, unknown>, seconds: number): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 120_000,
      numberOfSignificantValueDigits: 3,
    });
    const statuses: Record<string, number> = {};
    const inst = autocannon({ connections: CONNECTIONS, duration: seconds, ...opts }, (err, r) => {
      if (err) return reject(err);
      resolve({
        rps: r.requests.average,
        total: r.requests.total,
        statuses,
        errors: r.errors + r.timeouts,
        // hdr records microseconds; report milliseconds.
        p50: h.getValueAtPercentile(50) / 1000,
        p95: h.getValueAtPercentile(95) / 1000,
        p99: h.getValueAtPercentile(99) / 1000,
      });
    });
    inst.on("response", (_c, status, _b, ms) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      h.recordValue(Math.max(1, Math.round(ms * 1000)));
    });
  });

const startChild = (
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; out: () => string } => {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, out: () => out };
};

const stopChild = async (child: ChildProcess) => {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
};

const fmt = (m: Measured) =>
  `${m.rps.toFixed(0)} req/s (${m.total} answers; statuses ${JSON.stringify(m.statuses)}; errors ${m.errors}) ` +
  `P50 ${m.p50.toFixed(1)} ms, P95 ${m.p95.toFixed(1)} ms, P99 ${m.p99.toFixed(1)} ms`;

const db = await createTestDatabase(
  process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast",
  "bench",
);
const ns = namespaceOf(`bench-${randomBytes(4).toString("hex")}`);
const ceilingKey = `${ns.redisPrefix}ceiling:stock`;
const redis = new Redis(REDIS_URL);
const children: ChildProcess[] = [];
try {
  const port = await freePort();
  const env = (httpPort: number) => ({
    DATABASE_URL: db.url,
    REDIS_URL,
    KAFKA_BROKERS: BROKERS,
    HOLDFAST_JWT_SECRET: SECRET,
    HOLDFAST_HTTP_PORT: String(httpPort),
    HOLDFAST_RATE_LIMITS: "off",
  });
  const serveArgs = (roles: string) => [
    "ops/bin/holdfast.mjs",
    "serve",
    "--roles",
    roles,
    "--namespace",
    ns.name,
    "--host",
    "127.0.0.1",
  ];
  // BENCH_PROCESSES=2: the command handler in its own `holdfast serve` process (a second core).
  const handlerApart = PROCESSES === 2;
  const handlerPort = await freePort();
  const handlerProc = handlerApart ? startChild(serveArgs("command-handler"), env(handlerPort)) : null;
  if (handlerProc !== null) children.push(handlerProc.child);
  const serve = startChild(serveArgs(handlerApart ? "write-api" : "command-handler,write-api"), env(port));
  children.push(serve.child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    "holdfast serve",
    async () => (await fetch(`${base}/health/ready`)).status === 200,
    60_000,
    250,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${serve.out()}`);
  });
  if (handlerProc !== null)
    await waitFor(
      "the command handler",
      async () => (await fetch(`http://127.0.0.1:${handlerPort}/health/ready`)).status === 200,
      60_000,
      250,
    );
  const admin = await signToken(SECRET, { userId: "bench-admin", admin: true });
  const listed = await fetch(`${base}/v1/skus`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${admin}`,
      "Content-Type": "application/json",
      "Idempotency-Key": randomUUID(),
    },
    body: JSON.stringify({
      skuId: "bench-sku",
      name: "Bench tee",
      description: "",
      priceCents: 1000,
      currency: "EUR",
      stock: 100_000_000,
      perUserLimit: 1_000_000,
      holdSeconds: 86_400,
    }),
  });
  if (listed.status !== 201) throw new Error(`listing failed: ${listed.status} ${await listed.text()}`);
  const tokens = await Promise.all(
    Array.from({ length: SHOPPERS }, (_, i) => signToken(SECRET, { userId: `shopper-${i}` })),
  );
  let next = 0;
  const fullPath = (seconds: number) =>
    load(
      {
        url: base,
        requests: [
          {
            method: "POST",
            path: "/v1/skus/bench-sku/reservations",
            body: '{"quantity":1}',
            // A fresh shopper token and a unique Idempotency-Key on every request.
            setupRequest: (req: RawRequest) => {
              next = (next + 1) % tokens.length;
              req.headers = {
                "Content-Type": "application/json",
                Authorization: `Bearer ${tokens[next]}`,
                "Idempotency-Key": randomUUID(),
              };
              return req;
            },
          },
        ],
      },
      seconds,
    );
  process.stdout.write(`warming up the full path (3 s, ${CONNECTIONS} connections)…\n`);
  await fullPath(3);
  process.stdout.write(`full path: ${SECONDS} s, ${CONNECTIONS} connections…\n`);
  const full = await fullPath(SECONDS);
  const metrics =
    (await (await fetch(`${base}/metrics`)).text()) +
    (handlerProc === null ? "" : await (await fetch(`http://127.0.0.1:${handlerPort}/metrics`)).text());
  // Summed over label sets when the name has none (holdfast_commands_decided_total is labelled by SKU).
  const value = (name: string) => {
    const lines = metrics
      .split("\n")
      .filter((l) => l.startsWith(`${name} `) || (!name.includes("{") && l.startsWith(`${name}{`)));
    return lines.length === 0 ? Number.NaN : lines.reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
  };
  const chunks = value("holdfast_handler_chunk_seconds_count");
  process.stdout.write(
    `handler: ${value("holdfast_commands_decided_total")} commands in ${chunks} chunks ` +
      `(mean ${(value("holdfast_commands_decided_total") / chunks).toFixed(1)} per chunk, ` +
      `mean ${((value("holdfast_handler_chunk_seconds_sum") / chunks) * 1000).toFixed(1)} ms to decide+append+publish)\n`,
  );
  const phaseMean = (phase: string) =>
    (value(`holdfast_write_phase_seconds_sum{phase="${phase}"}`) /
      value(`holdfast_write_phase_seconds_count{phase="${phase}"}`)) *
    1000;
  process.stdout.write(
    `write API: mean ${phaseMean("enqueue").toFixed(1)} ms to a produce acknowledgement, ` +
      `mean ${phaseMean("decision").toFixed(1)} ms from enqueue to outcome\n`,
  );
  await stopChild(serve.child);
  if (handlerProc !== null) await stopChild(handlerProc.child);

  await redis.set(ceilingKey, "1000000000");
  const ceilingPort = await freePort();
  const ceiling = startChild(["--import", "tsx", "ops/bench/ceiling-server.ts"], {
    BENCH_CEILING_PORT: String(ceilingPort),
    BENCH_CEILING_KEY: ceilingKey,
    REDIS_URL,
  });
  children.push(ceiling.child);
  const cbase = `http://127.0.0.1:${ceilingPort}`;
  await waitFor("ceiling server", async () => (await fetch(`${cbase}/ready`)).status === 200, 30_000, 100);
  const ceilingRun = (seconds: number) =>
    load(
      {
        url: `${cbase}/reserve`,
        method: "POST",
        body: '{"quantity":1}',
        headers: { "Content-Type": "application/json" },
      },
      seconds,
    );
  process.stdout.write("warming up the ceiling (3 s)…\n");
  await ceilingRun(3);
  process.stdout.write(`ceiling: ${SECONDS} s, ${CONNECTIONS} connections…\n`);
  const top = await ceilingRun(SECONDS);
  await stopChild(ceiling.child);

  // Only decided (201/409) and pending (202) answers count as throughput of the full path.
  const answered = (full.statuses[201] ?? 0) + (full.statuses[202] ?? 0) + (full.statuses[409] ?? 0);
  if (answered < full.total * 0.99)
    throw new Error(`the full path mostly failed: ${JSON.stringify(full.statuses)}`);
  const ratio = full.rps / top.rps;
  process.stdout.write(
    [
      "",
      `full path (holdfast serve, one SKU): ${fmt(full)}`,
      `ceiling (bare hono + one EVALSHA):   ${fmt(top)}`,
      `ratio full/ceiling: ${ratio.toFixed(2)} (goal >= 0.5: ${ratio >= 0.5 ? "met" : "NOT met"}); ` +
        `full-path P95 ${full.p95.toFixed(1)} ms (goal <= 120 ms: ${full.p95 <= 120 ? "met" : "NOT met"})`,
      "",
    ].join("\n"),
  );
} finally {
  for (const c of children) await stopChild(c);
  const kafka = new Kafka({
    clientId: "bench-cleanup",
    brokers: BROKERS.split(","),
    logLevel: logLevel.NOTHING,
  });
  await dropNamespace(kafka, redis, ns);
  redis.disconnect();
  await db.drop();
}
