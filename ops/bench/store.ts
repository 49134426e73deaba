/**
 * `npm run bench:store`: the PostgreSQL event store on the real server (DATABASE_URL, API.md default),
 * in a database of its own (hf_bench_<random>), dropped at the end.
 *
 * - append: one stream, one writer, sequential appends with the expected revision, batches of 1, 10 and
 *   250 events. Events are sealed before the clock starts; the timed part is the adapter's append
 *   (validation, canonical text, hash check, one round trip, commit).
 * - catch-up read: the whole feed via readAll pages, then via subscribe from the start.
 *
 * Goals (issue 3): >= 100,000 events/s appended in batches of 250, >= 200,000 events/s read back.
 */
import * as E from "fp-ts/lib/Either.js";
import type { EventEnvelope } from "../../event-schemas/index.ts";
import { expectExact, expectNoStream, type GlobalPosition } from "../../infra/event-store/port.ts";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";
import { createTestDatabase } from "../../infra/event-store/postgres/test-database.ts";
import { sealedEvents } from "../../infra/event-store/test-events.ts";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
const runs = [
  { batch: 1, events: 2_000 },
  { batch: 10, events: 10_000 },
  { batch: 250, events: 100_000 },
] as const;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
/** Client-side CPU (user + system) per event: the part of the cost that does not depend on machine load. */
const cpuPerEvent = (cpu: NodeJS.CpuUsage, events: number) => ((cpu.user + cpu.system) / events).toFixed(1);

const main = async () => {
  const db = await createTestDatabase(serverUrl, "bench");
  const made = await makePostgresEventStore({ connectionString: db.url })();
  if (E.isLeft(made)) throw new Error(`store: ${JSON.stringify(made.left)}`);
  const store = made.right;
  const results: string[] = [];
  console.log(
    `load average ${(await import("node:os"))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${(await import("node:os")).cpus().length} cores`,
  );
  try {
    let total = 0;
    for (const run of runs) {
      const stream = `sku-bench-b${run.batch}`;
      const sealed: EventEnvelope[] = sealedEvents(stream, null, run.events);
      const batches: EventEnvelope[][] = [];
      for (let i = 0; i < sealed.length; i += run.batch) batches.push(sealed.slice(i, i + run.batch));
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (const batch of batches) {
        const first = batch[0]!.revision;
        const r = await store.append(stream, first === 0 ? expectNoStream : expectExact(first - 1), batch)();
        if (E.isLeft(r)) throw new Error(`append: ${JSON.stringify(r.left)}`);
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      total += run.events;
      results.push(
        `append batch=${String(run.batch).padStart(3)}: ${fmt(run.events / s).padStart(9)} events/s, ` +
          `${fmt(batches.length / s).padStart(7)} appends/s, ${((s / batches.length) * 1000).toFixed(2)} ms/append ` +
          `(${fmt(run.events)} events in ${s.toFixed(2)} s; client CPU ${cpuPerEvent(cpu, run.events)} µs/event)`,
      );
      console.log(results[results.length - 1]);
    }

    for (const page of [1_000, 5_000]) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let after: GlobalPosition | null = null;
      let n = 0;
      for (;;) {
        const r = await store.readAll(after, page)();
        if (E.isLeft(r)) throw new Error(`readAll: ${JSON.stringify(r.left)}`);
        if (r.right.length === 0) break;
        n += r.right.length;
        after = r.right[r.right.length - 1]!.position;
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (n !== total) throw new Error(`readAll saw ${n} events, expected ${total}`);
      results.push(
        `readAll page=${page}: ${fmt(n / s).padStart(9)} events/s (${fmt(n)} events in ${s.toFixed(2)} s; ` +
          `client CPU ${cpuPerEvent(process.cpuUsage(cpu0), n)} µs/event)`,
      );
      console.log(results[results.length - 1]);
    }

    {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let n = 0;
      let resolveDone: () => void = () => undefined;
      const caughtUp = new Promise<void>((r) => {
        resolveDone = r;
      });
      const sub = store.subscribe({ after: null, batchSize: 5_000 }, async (batch) => {
        n += batch.length;
        if (n >= total) resolveDone();
      });
      await caughtUp;
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      await sub.stop();
      results.push(
        `subscribe catch-up batch=5000: ${fmt(n / s).padStart(9)} events/s (${fmt(n)} events in ${s.toFixed(2)} s; ` +
          `client CPU ${cpuPerEvent(process.cpuUsage(cpu0), n)} µs/event)`,
      );
      console.log(results[results.length - 1]);
    }
  } finally {
    await store.close();
    await db.drop();
  }
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
