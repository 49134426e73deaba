import type { Command } from "commander";
import { SingleBar } from "cli-progress";
import * as E from "fp-ts/lib/Either.js";
import {
  decodeConfigSlice,
  eventStoreSettings,
  redisSettings,
  searchSettings,
} from "../../../infra/config/config.ts";
import { makeElasticsearch } from "../../../infra/elasticsearch/client.ts";
import { makeEventStore } from "../../../infra/event-store/index.ts";
import { openPool } from "../../../infra/postgres/pool.ts";
import { makeRedis } from "../../../infra/redis/client.ts";
import { REBUILDABLE, type RebuildableProjection, readSideNamesFor } from "../../../projections/names.ts";
import { inspectProjections } from "../../../projections/rebuild/inspect.ts";
import { withWorkerPreparer } from "../../../projections/rebuild/prepare.ts";
import { type RebuildProgress, rebuildProjection } from "../../../projections/rebuild/rebuild.ts";
import { rebuildTarget } from "../../../projections/rebuild/targets.ts";
import { redisStatusSink } from "../../../projections/runtime/status.ts";

const fail = (message: string, code = 2): never => {
  process.stderr.write(`holdfast projections: ${message}\n`);
  process.exit(code);
};

const open = async (namespace: string) => {
  // What a rebuild reads and writes: the log, and the read models' servers (no tokens, no Kafka).
  const config = decodeConfigSlice(
    { ...eventStoreSettings, ...redisSettings, ...searchSettings },
    process.env,
  );
  if (E.isLeft(config)) return fail(`${config.left.variable}: ${config.left.message}`);
  const names = readSideNamesFor(namespace);
  const redis = makeRedis(config.right, { name: "holdfast-cli", autoPipelining: false });
  const pool = openPool(config.right, { max: 4, name: "holdfast-cli" });
  const es = makeElasticsearch(config.right);
  return {
    config: config.right,
    names,
    redis,
    pool,
    es,
    close: async () => {
      redis.disconnect();
      await pool.end();
      await es.close();
    },
  };
};

const table = (rows: ReadonlyArray<Record<string, unknown>>) => {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "-").length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i] ?? 0)).join("  ");
  process.stdout.write(
    `${line(cols)}\n${rows.map((r) => line(cols.map((c) => String(r[c] ?? "-")))).join("\n")}\n`,
  );
};

/** `holdfast projections list|status|rebuild NAME`. */
export const registerProjections = (program: Command): void => {
  const group = program
    .command("projections")
    .description("read models: list, status, zero-downtime rebuild");
  const nsOption = ["--namespace <name>", "the `holdfast serve --namespace` to look at", ""] as const;

  group
    .command("list")
    .description("each projection, where it lives, its live generation and checkpoint")
    .option(...nsOption)
    .option("--json", "machine-readable output")
    .action(async (opts: { namespace: string; json?: boolean }) => {
      const o = await open(opts.namespace);
      const infos = await inspectProjections({ ...o, ...o.names, redisNamespace: o.names.redisNamespace });
      if (opts.json === true) process.stdout.write(`${JSON.stringify(infos, null, 2)}\n`);
      else
        table(
          infos.map((i) => ({
            projection: i.name,
            store: i.store,
            generation: i.generation,
            checkpoint: i.checkpoint,
            error: i.error,
          })),
        );
      await o.close();
    });

  group
    .command("status")
    .description("each projector's state (running, retrying, parked), checkpoint and lag")
    .option(...nsOption)
    .option("--json", "machine-readable output")
    .action(async (opts: { namespace: string; json?: boolean }) => {
      const o = await open(opts.namespace);
      const infos = await inspectProjections({ ...o, ...o.names });
      const statuses = await redisStatusSink(o.redis, o.names.redisNamespace).readAll();
      const rows = infos.map((i) => {
        const s = statuses.find((x) => x.name === i.name);
        return {
          projection: i.name,
          state: s?.state ?? "not running",
          generation: i.generation,
          checkpoint: i.checkpoint,
          lagEvents: s?.lagEvents ?? null,
          updatedAt: s?.updatedAt ?? null,
          parkedAt:
            s?.parkedAt === null || s?.parkedAt === undefined
              ? null
              : `${s.parkedAt.streamId}@${s.parkedAt.revision} ${s.parkedAt.type}`,
          lastError: s?.lastError ?? i.error ?? null,
        };
      });
      if (opts.json === true) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else table(rows);
      await o.close();
      if (rows.some((r) => r.state === "parked")) process.exitCode = 1;
    });

  group
    .command("rebuild <name>")
    .description(`rebuild a projection beside the live one, then swap (${REBUILDABLE.join(", ")})`)
    .option(...nsOption)
    .option("--batch-size <n>", "events per batch", "2000")
    .action(async (name: string, opts: { namespace: string; batchSize: string }) => {
      if (!(REBUILDABLE as ReadonlyArray<string>).includes(name))
        fail(`unknown projection "${name}"; rebuildable: ${REBUILDABLE.join(", ")}`);
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000)
        fail("--batch-size must be 1…50000");
      const o = await open(opts.namespace);
      const store = await makeEventStore(o.config)();
      if (E.isLeft(store)) return fail(`event store unavailable: ${JSON.stringify(store.left)}`);
      const target = rebuildTarget(name as RebuildableProjection, { ...o, ...o.names });
      const bar = new SingleBar({
        format: " {bar} {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted} | {phase}",
        hideCursor: true,
        etaBuffer: 50,
        // Outside a terminal (CI logs) print a line every 2 s instead of redrawing.
        noTTYOutput: !process.stderr.isTTY,
        notTTYSchedule: 2000,
      });
      // Positions are not event counts (PostgreSQL's follow transaction ids), so the bar shows progress
      // through the position range up to the head at start, in permille; the events counter is exact.
      const started = Date.now();
      let first: bigint | null = null;
      bar.start(1000, 0, { events: 0, rate: 0, phase: "building" });
      const onProgress = (p: RebuildProgress) => {
        first ??= p.position;
        const span = p.startHead === null || first === null ? 0n : p.startHead - first;
        const done = p.position === null || first === null ? 0n : p.position - first;
        const permille = span <= 0n ? 1000 : Math.min(1000, Number((done * 1000n) / span));
        const rate = Math.round(p.events / Math.max(0.001, (Date.now() - started) / 1000));
        bar.update(permille, { events: p.events, rate, phase: p.phase });
      };
      // Availability decodes and folds each page on a worker thread while this one writes.
      const boot = new URL("../../bin/worker-boot.mjs", import.meta.url);
      const result = await withWorkerPreparer(target.prepared, boot, (preparer) =>
        rebuildProjection({
          store: store.right,
          target,
          batchSize,
          onProgress,
          preparer,
        }),
      );
      bar.update(1000);
      bar.stop();
      await store.right.close();
      await o.close();
      const secs = (Date.now() - started) / 1000;
      if (result._tag === "Swapped") {
        process.stdout.write(
          `${name}: generation ${result.generation} swapped in (was ${result.previous ?? "none"}); ${result.events} events in ${secs.toFixed(1)} s (${Math.round(result.events / secs)} events/s); old generation dropped\n`,
        );
      } else fail(`${name}: rebuild failed, live generation untouched: ${result.reason}`, 1);
    });
};
