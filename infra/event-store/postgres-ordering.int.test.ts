import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./contract.ts";
import {
  type EventStore,
  expectExact,
  expectNoStream,
  type GlobalPosition,
  type RecordedEvent,
} from "./port.ts";
import { APPEND_SQL, appendParams } from "./postgres/append-sql.ts";
import { makePostgresEventStore } from "./postgres/index.ts";
import { createTestDatabase } from "./postgres/test-database.ts";
import { freshStream, sealedEvents, tipOf } from "./test-events.ts";
import { validateAppend } from "./validate-append.ts";

/**
 * The proof that the PostgreSQL feed never skips an event that commits late with a lower position.
 * Eight connections append to their own streams at once; every fifth transaction is held open with
 * pg_sleep after the append, so transactions with higher positions commit before it. A live subscriber
 * must still see every event exactly once, with strictly increasing positions, and a second subscriber
 * started midway from the first one's checkpoint must see exactly the same continuation.
 */

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
const APPENDERS = 8;
const APPENDS_EACH = 250;
const STREAMS_EACH = 2;

describe("postgres global feed under concurrent appenders", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase(serverUrl);
    const made = await makePostgresEventStore({ connectionString: db.url, pollIntervalMs: 100 })();
    if (E.isLeft(made)) throw new Error(made.left._tag);
    store = made.right;
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it("delivers every event exactly once, in one order, to live and resumed subscribers", async () => {
    const first: RecordedEvent[] = [];
    const sub1 = store.subscribe({ after: null, batchSize: 97 }, async (batch) => {
      first.push(...batch);
    });

    /** Positions in the order their commits were acknowledged. */
    const committed: GlobalPosition[] = [];
    let appendsDone = 0;
    const appender = async (n: number) => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const streams = Array.from({ length: STREAMS_EACH }, () => freshStream(`w${n}`));
        const tips = new Map<string, ReturnType<typeof tipOf> | null>(streams.map((s) => [s, null]));
        for (let i = 0; i < APPENDS_EACH; i++) {
          const s = streams[i % STREAMS_EACH]!;
          const tip = tips.get(s) ?? null;
          const events = sealedEvents(s, tip, 1 + (i % 3));
          const expected = tip === null ? expectNoStream : expectExact(tip.revision);
          const prepared = validateAppend(s, expected, events);
          if (E.isLeft(prepared)) throw new Error(JSON.stringify(prepared.left));
          const hold = (i + n) % 5 === 0;
          await client.query("begin");
          const r = await client.query<{ o_status: string; o_position: string }>(
            APPEND_SQL,
            appendParams(prepared.right, expected),
          );
          if (hold) await client.query(`select pg_sleep(${0.005 + ((i * 7 + n) % 4) * 0.01})`);
          await client.query("commit");
          expect(r.rows[0]!.o_status).toBe("ok");
          committed.push(BigInt(r.rows[0]!.o_position));
          tips.set(s, tipOf(events));
          appendsDone += 1;
        }
      } finally {
        await client.end();
      }
    };

    const running = Array.from({ length: APPENDERS }, (_, n) => appender(n));

    // Midway: a second subscriber resumes from the first one's checkpoint at that moment.
    await eventually(
      () => appendsDone >= (APPENDERS * APPENDS_EACH) / 2 && first.length > 0,
      "half the appends",
    );
    const checkpointIndex = first.length - 1;
    const checkpoint = first[checkpointIndex]!.position;
    const second: RecordedEvent[] = [];
    const sub2 = store.subscribe({ after: checkpoint, batchSize: 250 }, async (batch) => {
      second.push(...batch);
    });

    await Promise.all(running);
    const total =
      APPENDERS * Array.from({ length: APPENDS_EACH }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    await eventually(() => first.length >= total, `first subscriber to see ${total} events`, 60_000);
    await eventually(
      () => second.length >= total - checkpointIndex - 1,
      "second subscriber to catch up",
      60_000,
    );
    await sub1.stop();
    await sub2.stop();

    // The hazard really happened: some transaction committed after one with a higher position.
    let inversions = 0;
    for (let i = 1; i < committed.length; i++) if (committed[i]! < committed[i - 1]!) inversions += 1;
    expect(inversions).toBeGreaterThan(0);

    expect(first).toHaveLength(total);
    expect(new Set(first.map((e) => e.envelope.eventId)).size).toBe(total);
    for (let i = 1; i < first.length; i++) expect(first[i]!.position > first[i - 1]!.position).toBe(true);
    const byStream = new Map<string, number[]>();
    for (const e of first)
      byStream.set(e.envelope.streamId, [...(byStream.get(e.envelope.streamId) ?? []), e.envelope.revision]);
    expect(byStream.size).toBe(APPENDERS * STREAMS_EACH);
    for (const revisions of byStream.values()) expect(revisions).toEqual(revisions.map((_, i) => i));

    expect(second).toEqual(first.slice(checkpointIndex + 1));
    const replay = await store.readAll(null, total + 10)();
    expect(E.isRight(replay) && replay.right).toEqual(first);
  });
});
