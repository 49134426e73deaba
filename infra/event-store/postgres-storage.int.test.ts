import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { canonicalJson } from "../../event-schemas/index.ts";
import { expectNoStream } from "./port.ts";
import { makePostgresEventStore } from "./postgres/index.ts";
import { POSITION_SHIFT } from "./postgres/migrations.ts";
import { createTestDatabase } from "./postgres/test-database.ts";
import { SubscriptionFailed } from "./subscription.ts";
import { freshStream, sealedEvents } from "./test-events.ts";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";

describe("postgres event store: migrations and stored bytes", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: pg.Client;
  beforeEach(async () => {
    db = await createTestDatabase(serverUrl);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterEach(async () => {
    await sql.end();
    await db.drop();
  });

  const start = async () => {
    const made = await makePostgresEventStore({ connectionString: db.url, pollIntervalMs: 50 })();
    if (E.isLeft(made)) throw new Error(JSON.stringify(made.left));
    return made.right;
  };

  it("applies each migration once when several processes start at the same time, and again is a no-op", async () => {
    const stores = await Promise.all([start(), start(), start(), start()]);
    const again = await start();
    const versions = await sql.query("select version from event_store.migrations order by version");
    expect(versions.rows).toEqual([{ version: 1 }]);
    const s = freshStream();
    expect(E.isRight(await again.append(s, expectNoStream, sealedEvents(s, null, 1))())).toBe(true);
    await Promise.all([...stores, again].map((x) => x.close()));
  });

  it("stores each event's canonical JSON text byte for byte, in a text column", async () => {
    const store = await start();
    const s = freshStream();
    const events = sealedEvents(s, null, 3);
    await store.append(s, expectNoStream, events)();
    const rows = await sql.query(
      "select stream_id, revision, event_id, type, data from event_store.events where stream_id = $1 order by revision",
      [s],
    );
    expect(rows.rows.map((r) => r.data)).toEqual(events.map((e) => canonicalJson(e)));
    expect(rows.rows.map((r) => [r.stream_id, Number(r.revision), r.event_id, r.type])).toEqual(
      events.map((e) => [s, e.revision, e.eventId, e.type]),
    );
    const col = await sql.query(
      "select data_type from information_schema.columns where table_schema = 'event_store' and table_name = 'events' and column_name = 'data'",
    );
    expect(col.rows[0]?.data_type).toBe("text");
    await store.close();
  });

  it("reports a tampered or unreadable row as CorruptEvent, and a subscription fails on it", async () => {
    const store = await start();
    const s = freshStream();
    await store.append(s, expectNoStream, sealedEvents(s, null, 4))();
    // Same JSON shape, one value changed: only the hash can tell.
    await sql.query(
      `update event_store.events set data = replace(data, '"stock":2', '"stock":9') where stream_id = $1 and revision = 2`,
      [s],
    );
    // The feed publishes a row once it lies below the oldest transaction still running in the whole
    // cluster (feed.ts); other suites share this PostgreSQL, so wait for that horizon to pass the stream.
    await vi.waitFor(
      async () => {
        const horizon = await sql.query(
          `select bool_and(position < pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${POSITION_SHIFT}) as past
             from event_store.events where stream_id = $1`,
          [s],
        );
        expect(horizon.rows[0]?.past).toBe(true);
      },
      { timeout: 30_000, interval: 50 },
    );
    const read = await store.readStream(s)();
    expect(E.isLeft(read) && read.left).toMatchObject({ _tag: "CorruptEvent", streamId: s });
    const firstTwo = await store.readStream(s, { limit: 2 })();
    expect(E.isRight(firstTwo) && firstTwo.right.length).toBe(2);
    const feed = await store.readAll(null, 100)();
    expect(E.isLeft(feed) && feed.left._tag).toBe("CorruptEvent");
    // The stored (not decoded) feed verifies every event's bytes too: the same row is refused.
    const stored = await store.readAllStored(null, 100)();
    expect(E.isLeft(stored) && stored.left).toMatchObject({ _tag: "CorruptEvent", streamId: s });
    const storedTwo = await store.readAllStored(null, 2)();
    expect(E.isRight(storedTwo) && storedTwo.right.map((e) => e.hash)).toEqual(
      E.isRight(firstTwo) ? firstTwo.right.map((e) => e.envelope.hash) : [],
    );
    // Paged ahead: the two events before it, then the error, and nothing after it.
    const pages = [];
    for await (const page of store.readAllStoredPages(null, 2)) pages.push(page);
    expect(pages.map((p) => (E.isRight(p) ? p.right.length : p.left._tag))).toEqual([2, "CorruptEvent"]);

    await sql.query(
      `update event_store.events set data = '{not json' where stream_id = $1 and revision = 3`,
      [s],
    );
    const tail = await store.readStream(s, { from: 3 })();
    expect(E.isLeft(tail) && tail.left._tag).toBe("CorruptEvent");
    const storedTail = await store.readAllStored(null, 100)();
    expect(E.isLeft(storedTail) && storedTail.left._tag).toBe("CorruptEvent");

    const delivered: number[] = [];
    const sub = store.subscribe({ after: null }, async (batch) => {
      delivered.push(...batch.map((e) => e.envelope.revision));
    });
    await expect(sub.done).rejects.toBeInstanceOf(SubscriptionFailed);
    expect(delivered).toEqual([]);
    await store.close();
  });
});
