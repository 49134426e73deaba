/**
 * `npm run bench:reserve`: full-path reservations on ONE SKU against `holdfast serve`, swept over
 * connection counts and deployments, each row beside the ceiling measured in the same run: a bare hono
 * endpoint doing one ioredis EVALSHA check-and-decrement per request, with the same load tool
 * (autocannon) and the same connection count.
 *
 * Full path = POST /v1/skus/{sku}/reservations with a shopper JWT and a unique Idempotency-Key: overload
 * guard, JWT check, body decode, SKU registry, sold-out edge check, idempotency claim, Kafka produce
 * (acks=all, idempotent), the command handler's chunk decide + hash chain + PostgreSQL append, outcome via
 * Redis pub/sub, 201. A 202 (decision slower than the wait budget) counts as an answer, reported apart.
 *
 * Deployments (`--workers 0,1,2`): 0 = one `holdfast serve` process with the command handler and the write
 * API; N = `holdfast serve --workers N` (N write-API processes on one port beside one core process with
 * the handler). Per row: req/s, P50/P95/P99/max, status counts, socket errors and timeouts, the kernel's
 * listen-queue overflows during the row, the row's three slowest seconds, and CPU µs per
 * answered request of each holdfast process (from /proc), and the ceiling's req/s and CPU µs per request.
 *
 * Options: `--ports BASE` (servers listen on BASE, BASE+1, …), `--connections 50,500,2000`, `--workers 0,1,2`, `--seconds 15`, `--quick` (5 s rows, 2 s
 * warm-ups, for iteration), `--shoppers 2000`, `--rate N` (the full path offered N requests/s in all, for A/B runs). Env: KAFKA_BROKERS, REDIS_URL, DATABASE_URL (server only).
 * Ends with `reserve: <ratio>× ceiling at 500 connections, P95 <ms> ms` for the best deployment at 500.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import * as hdr from "hdr-histogram-js";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import { createTestDatabase } from "../../infra/event-store/postgres/test-database.ts";
import { signToken } from "../../infra/http/auth.ts";
import { namespaceOf } from "../../infra/process/namespace.ts";
import { dropNamespace, freePort, waitFor } from "../serve/testing/harness.ts";
import { childPids, listenOverflows, processCpuMicros } from "./process-cpu.ts";
import { listSkuOverHttp } from "../rehearse/list-sku.ts";

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const QUICK = process.argv.includes("--quick");
const list = (s: string) => s.split(",").map((x) => Number(x.trim()));
const CONNECTIONS = list(arg("connections") ?? "50,500,2000");
const DEPLOYMENTS = list(arg("workers") ?? "0,1,2");
const SECONDS = Number(arg("seconds") ?? (QUICK ? 5 : 15));
const WARMUP = QUICK ? 2 : 3;
const SHOPPERS = Number(arg("shoppers") ?? 2000);
/**
 * `--rate N`: the full path is offered N requests/s in all (autocannon's `overallRate`), not as many as
 * the connections can send. For A/B runs on a busy machine: at one offered rate both sides batch alike,
 * so their CPU per answer compares even when the machine could not carry the open-loop rate.
 */
const RATE = arg("rate") === undefined ? undefined : Number(arg("rate"));
/** `--profile DIR`: every holdfast process runs under `node --cpu-prof`, profiles written to DIR on exit. */
const PROFILE_DIR = arg("profile");
/** `--ports BASE`: the servers started listen on BASE, BASE+1, … (a range kept for this bench); else any free port. */
const PORT_BASE = arg("ports");
let portsTaken = 0;
const benchPort = async (): Promise<number> =>
  PORT_BASE === undefined ? freePort() : Number(PORT_BASE) + portsTaken++;
const SECRET = "benchmark-secret-0123456789abcdef";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
const ROOT = new URL("../../", import.meta.url).pathname;

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
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

/** One second of a row: answers, 503s among them, and the longest answer (ms). */
interface RowSecond {
  readonly second: number;
  answers: number;
  shed: number;
  maxMs: number;
}

interface Measured {
  readonly rps: number;
  readonly total: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** Connections the kernel refused during the row because an accept queue was full (`null`: unknown). */
  readonly overflows: number | null;
  /** The row's slowest seconds: answers, 503s and the longest answer (ms) in each, by second of the row. */
  readonly slowest: ReadonlyArray<Readonly<RowSecond>>;
  /** CPU µs per answer, per process label. */
  readonly cpu: Record<string, number>;
}

/** Run autocannon; meanwhile measure the CPU of the given processes (label → pids). */
const load = (
  opts: Record<string, unknown>,
  connections: number,
  seconds: number,
  procs: () => Record<string, number[]>,
): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 120_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const statuses: Record<string, number> = {};
    const pids = procs();
    const cpuOf = () =>
      Object.fromEntries(
        Object.entries(pids).map(([k, ps]) => [k, ps.reduce((n, p) => n + (processCpuMicros(p) ?? 0), 0)]),
      );
    const cpu0 = cpuOf();
    const overflows0 = listenOverflows();
    const startedAt = Date.now();
    const perSecond: RowSecond[] = [];
    const inst = autocannon({ connections, duration: seconds, timeout: 10, ...opts }, (err, r) => {
      if (err) return reject(err);
      const cpu1 = cpuOf();
      const overflows1 = listenOverflows();
      const answers = Math.max(1, r.requests.total);
      // Only decisions (201/409) and pending answers (202) count as throughput; 503s are reported apart.
      const decided = (statuses[201] ?? 0) + (statuses[202] ?? 0) + (statuses[409] ?? 0);
      resolve({
        rps: decided / seconds,
        total: r.requests.total,
        statuses,
        errors: r.errors,
        timeouts: r.timeouts,
        p50: h.getValueAtPercentile(50) / 1000,
        p95: h.getValueAtPercentile(95) / 1000,
        p99: h.getValueAtPercentile(99) / 1000,
        max: h.maxValue / 1000,
        overflows: overflows0 === null || overflows1 === null ? null : overflows1 - overflows0,
        // `filter` skips the holes of seconds without an answer.
        slowest: perSecond
          .filter(() => true)
          .sort((a, b) => b.maxMs - a.maxMs)
          .slice(0, 3),
        cpu: Object.fromEntries(Object.keys(cpu0).map((k) => [k, (cpu1[k]! - cpu0[k]!) / answers])),
      });
    });
    inst.on("response", (_c, status, _b, ms) => {
      const second = Math.floor((Date.now() - startedAt) / 1000);
      const s = perSecond[second] ?? { second, answers: 0, shed: 0, maxMs: 0 };
      perSecond[second] = s;
      s.answers++;
      if (status === 503) s.shed++;
      s.maxMs = Math.max(s.maxMs, Math.round(ms));
      statuses[status] = (statuses[status] ?? 0) + 1;
      h.recordValue(Math.max(1, Math.round(ms * 1000)));
    });
  });

const startChild = (args: string[], env: Record<string, string>) => {
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
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
};

/** Which serve process a pid is: the core (command handler) or an HTTP worker, from its environment. */
const partOf = (pid: number): string => {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8");
    return /HOLDFAST_SERVE_PART=core/.test(env) ? "core" : "http";
  } catch {
    return "gone";
  }
};

const ms = (n: number) => n.toFixed(n < 10 ? 1 : 0);
const deploymentName = (w: number) => (w === 0 ? "1 process (handler + write API)" : `--workers ${w}`);

interface Row {
  readonly deployment: number;
  readonly connections: number;
  readonly full: Measured;
  readonly ceiling: Measured;
}

const db = await createTestDatabase(
  process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast",
  "bench",
);
const ns = namespaceOf(`bench-${randomBytes(4).toString("hex")}`);
const ceilingKey = `${ns.redisPrefix}ceiling:stock`;
const redis = new Redis(REDIS_URL);
const children: ChildProcess[] = [];
const rows: Row[] = [];
try {
  process.stdout.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )}; rows of ${SECONDS} s; connections ${CONNECTIONS.join(", ")}; deployments ${DEPLOYMENTS.map(deploymentName).join(", ")}\n`,
  );
  await redis.set(ceilingKey, "1000000000000");
  const ceilingPort = await benchPort();
  const ceiling = startChild(
    [
      ...(PROFILE_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}/ceiling`]),
      "--import",
      "./ops/bin/ts-loader.mjs",
      "ops/bench/ceiling-server.ts",
    ],
    {
      BENCH_CEILING_PORT: String(ceilingPort),
      BENCH_CEILING_KEY: ceilingKey,
      REDIS_URL,
    },
  );
  children.push(ceiling.child);
  const cbase = `http://127.0.0.1:${ceilingPort}`;
  await waitFor("ceiling server", async () => (await fetch(`${cbase}/ready`)).status === 200, 30_000, 100);
  const ceilingRun = (connections: number, seconds: number) =>
    load(
      {
        url: `${cbase}/reserve`,
        method: "POST",
        body: '{"quantity":1}',
        headers: { "Content-Type": "application/json" },
      },
      connections,
      seconds,
      () => ({ ceiling: [ceiling.child.pid!] }),
    );
  const tokens = await Promise.all(
    Array.from({ length: SHOPPERS }, (_, i) => signToken(SECRET, { userId: `shopper-${i}` })),
  );
  const admin = await signToken(SECRET, { userId: "bench-admin", admin: true });

  for (const deployment of DEPLOYMENTS) {
    const port = await benchPort();
    const args = [
      ...(PROFILE_DIR === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}/workers-${deployment}`]),
      "ops/bin/holdfast.mjs",
      "serve",
      "--roles",
      "command-handler,write-api",
    ];
    args.push("--namespace", ns.name, "--host", "127.0.0.1");
    if (deployment > 0) args.push("--workers", String(deployment));
    const serve = startChild(args, {
      DATABASE_URL: db.url,
      REDIS_URL,
      KAFKA_BROKERS: BROKERS,
      HOLDFAST_JWT_SECRET: SECRET,
      HOLDFAST_HTTP_PORT: String(port),
      HOLDFAST_RATE_LIMITS: "off",
    });
    children.push(serve.child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      "holdfast serve",
      async () => (await fetch(`${base}/health/ready`)).status === 200,
      90_000,
      250,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${serve.out()}`);
    });
    const procs = (): Record<string, number[]> => {
      if (deployment === 0) return { "handler+api": [serve.child.pid!] };
      const kids = childPids(serve.child.pid!);
      return {
        "write API (all workers)": kids.filter((p) => partOf(p) === "http"),
        handler: kids.filter((p) => partOf(p) === "core"),
        primary: [serve.child.pid!],
      };
    };
    const skuId = `bench-sku-${deployment}`;
    // With --workers the first listing can meet a worker whose producer has not seen the topic yet: retry.
    await waitFor(
      "the listing",
      async () => {
        const listed = await listSkuOverHttp(base, admin, {
          skuId,
          name: "Bench tee",
          description: "",
          priceCents: 1000,
          currency: "EUR",
          stock: 100_000_000,
          perUserLimit: 1_000_000,
          holdSeconds: 86_400,
        });
        return listed.status === 201 || listed.status === 409;
      },
      60_000,
      500,
    );
    let next = 0;
    const fullPath = (connections: number, seconds: number) =>
      load(
        {
          url: base,
          ...(RATE === undefined ? {} : { overallRate: RATE }),
          requests: [
            {
              method: "POST",
              path: `/v1/skus/${skuId}/reservations`,
              body: '{"quantity":1}',
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
        connections,
        seconds,
        procs,
      );
    await fullPath(50, WARMUP);
    for (const connections of CONNECTIONS) {
      process.stdout.write(`${deploymentName(deployment)}, ${connections} connections…\n`);
      const full = await fullPath(connections, SECONDS);
      await ceilingRun(connections, WARMUP);
      const top = await ceilingRun(connections, SECONDS);
      rows.push({ deployment, connections, full, ceiling: top });
      const cpu = Object.entries(full.cpu)
        .map(([k, v]) => `${k} ${v.toFixed(0)} µs`)
        .join(", ");
      process.stdout.write(
        `  full: ${full.rps.toFixed(0)} req/s, P50 ${ms(full.p50)} / P95 ${ms(full.p95)} / P99 ${ms(full.p99)} / max ${ms(full.max)} ms, ` +
          `statuses ${JSON.stringify(full.statuses)}, socket errors ${full.errors}, timeouts ${full.timeouts}, ` +
          `listen overflows ${full.overflows ?? "?"}; CPU per answer: ${cpu}\n` +
          `  slowest seconds (second of the row: answers, 503s, max ms): ${full.slowest
            .map((x) => `${x.second}: ${x.answers}, ${x.shed}, ${x.maxMs}`)
            .join("; ")}\n` +
          `  ceiling: ${top.rps.toFixed(0)} req/s, P95 ${ms(top.p95)} ms, CPU ${top.cpu.ceiling!.toFixed(0)} µs per answer; ` +
          `listen overflows ${top.overflows ?? "?"}; ratio ${(full.rps / top.rps).toFixed(2)}\n`,
      );
    }
    await stopChild(serve.child);
  }
  await stopChild(ceiling.child);

  const table = [
    "",
    "| deployment | connections | req/s | P50 | P95 | P99 | max | statuses | socket errors / timeouts | listen overflows | CPU µs per answer | ceiling req/s | ceiling CPU µs | ratio | write-API CPU / ceiling CPU |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => {
      const api = r.full.cpu["write API (all workers)"] ?? r.full.cpu["handler+api"] ?? Number.NaN;
      const c = r.ceiling.cpu.ceiling!;
      return (
        `| ${deploymentName(r.deployment)} | ${r.connections} | ${r.full.rps.toFixed(0)} | ${ms(r.full.p50)} | ${ms(r.full.p95)} | ` +
        `${ms(r.full.p99)} | ${ms(r.full.max)} | ${Object.entries(r.full.statuses)
          .map(([k, v]) => `${k}: ${v}`)
          .join(
            ", ",
          )} | ${r.full.errors} / ${r.full.timeouts} | ${r.full.overflows ?? "?"} | ${Object.entries(
          r.full.cpu,
        )
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(
            "; ",
          )} | ${r.ceiling.rps.toFixed(0)} | ${c.toFixed(0)} | ${(r.full.rps / r.ceiling.rps).toFixed(2)} | ` +
        `${(api / c).toFixed(2)}${r.deployment === 0 ? " (incl. handler)" : ""} |`
      );
    }),
    "",
  ];
  process.stdout.write(`${table.join("\n")}\n`);
  const at500 = rows.filter((r) => r.connections === 500);
  const best = at500.sort((a, b) => b.full.rps / b.ceiling.rps - a.full.rps / a.ceiling.rps)[0];
  if (best !== undefined)
    process.stdout.write(
      `best at 500 connections: ${deploymentName(best.deployment)}\n` +
        `reserve: ${(best.full.rps / best.ceiling.rps).toFixed(2)}× ceiling at 500 connections, P95 ${ms(best.full.p95)} ms\n`,
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
