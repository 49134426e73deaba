import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { SkuCommandBody } from "../../event-schemas/index.ts";
import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { appendChunk, type ChunkDeps, decideChunk, prepareChunk, type QueuedItem } from "./decide-chunk.ts";
import { loadSku, type SkuEntry } from "./sku-cache.ts";

const item = (position: number, command: Record<string, unknown>, requestId = randomUUID()): QueuedItem => ({
  queued: queuedCommand("tee", command as unknown as SkuCommandBody, {
    requestId,
    replyTo: "replies",
    now: new Date("2030-01-01T00:00:00.000Z"),
  }),
  position,
});

const listing = {
  type: "ListSku",
  skuId: "tee",
  name: "Tee",
  description: "",
  priceCents: 2000,
  currency: "EUR",
  stock: 2,
  perUserLimit: 1,
  holdSeconds: 120,
  saleStartsAt: null,
  saleEndsAt: null,
  tags: [],
};
const reserve = (userId: string) => ({
  type: "PlaceReservation",
  reservationId: randomUUID(),
  userId,
  quantity: 1,
  allowPartial: false,
});

const deps = (store: EventStore): ChunkDeps => ({
  store,
  now: () => new Date("2030-01-01T00:00:01.000Z"),
  newId: randomUUID,
  recordedOutcome: async () => E.right(null),
});

const load = async (store: EventStore): Promise<SkuEntry> => {
  const r = await loadSku(store, "tee");
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
};

const run = async (store: EventStore, entry: SkuEntry, items: QueuedItem[]) => {
  const r = await decideChunk(deps(store), entry, items);
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
};

describe("decideChunk", () => {
  it("decides in queue order, stamps each event with its command's queue position, and answers each", async () => {
    const store = makeMemoryEventStore();
    const r = await run(store, await load(store), [
      item(0, listing),
      item(1, reserve("a")),
      item(2, reserve("b")),
      item(3, reserve("c")),
    ]);
    expect(
      r.replies.map((x) => (x.outcome.status === "accepted" ? x.outcome.result.kind : x.outcome.reason)),
    ).toEqual(["listed", "reserved", "reserved", "sold-out"]);
    const stored = await store.readStream("sku-tee")();
    expect(E.isRight(stored) && stored.right.map((e) => e.envelope.queuePosition)).toEqual([0, 1, 2, 3]);
    expect(r.entry.lastQueuePosition).toBe(3);
  });

  it("a redelivered chunk is answered from the log, not decided again (a reload included)", async () => {
    const store = makeMemoryEventStore();
    const batch = [item(0, listing), item(1, reserve("a")), item(2, reserve("b"))];
    const first = await run(store, await load(store), batch);
    // A handler restarted after the append but before its offsets were committed.
    const again = await run(store, await load(store), [...batch, item(3, reserve("c"))]);
    expect(again.appended).toBe(1);
    expect(again.replies.slice(0, 3).map((x) => x.outcome)).toEqual(first.replies.map((x) => x.outcome));
    expect(again.replies[3]?.outcome).toMatchObject({ status: "refused", reason: "sold-out" });
  });

  it("a stale writer's append fails with WrongExpectedRevision (fencing)", async () => {
    const store = makeMemoryEventStore();
    const stale = await load(store);
    await run(store, await load(store), [item(0, listing)]);
    const r = await decideChunk(deps(store), stale, [item(0, listing)]);
    expect(E.isLeft(r) && r.left._tag).toBe("WrongExpectedRevision");
  });

  it("refusals without events map to their problem reasons", async () => {
    const store = makeMemoryEventStore();
    const r = await run(store, await load(store), [
      item(0, reserve("a")),
      item(1, listing),
      item(2, listing),
      item(3, { type: "CancelReservation", reservationId: randomUUID(), userId: "a" }),
    ]);
    expect(r.replies.map((x) => (x.outcome.status === "refused" ? x.outcome.reason : "accepted"))).toEqual([
      "unknown-sku",
      "accepted",
      "sku-exists",
      "not-found",
    ]);
  });

  it("answers a repeated close as closed, with the revision, though it appends nothing", async () => {
    const store = makeMemoryEventStore();
    const r = await run(store, await load(store), [
      item(0, listing),
      item(1, { type: "CloseSale" }),
      item(2, { type: "CloseSale" }),
    ]);
    expect(r.replies.map((x) => (x.outcome.status === "accepted" ? x.outcome.result.kind : null))).toEqual([
      "listed",
      "closed",
      "closed",
    ]);
    expect(r.replies[2]?.outcome.revision).toBe(r.replies[1]?.outcome.revision);
  });
});

describe("appendChunk after a chunk still in flight", () => {
  const prepared = async (store: EventStore, entry: SkuEntry, items: QueuedItem[]) => {
    const r = await prepareChunk(deps(store), entry, items);
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    return r.right;
  };
  const positions = async (store: EventStore) => {
    const r = await store.readStream("sku-tee")();
    return E.isRight(r) ? r.right.map((e) => e.envelope.queuePosition) : r.left;
  };

  it("is written after the chunk before it even when it reaches the store first", async () => {
    const store = makeMemoryEventStore();
    const first = await prepared(store, await load(store), [item(0, listing), item(1, reserve("a"))]);
    const second = await prepared(store, first.entry, [item(2, reserve("b"))]);
    let firstWritten: (ok: boolean) => void = () => undefined;
    const previous = new Promise<boolean>((r) => {
      firstWritten = r;
    });
    // The second chunk's append is sent before the first's: the store refuses it (wrong revision).
    const secondWrite = appendChunk(deps(store), second, previous);
    expect(await positions(store)).toEqual([]);
    const r1 = await appendChunk(deps(store), first);
    firstWritten(E.isRight(r1));
    const r2 = await secondWrite;
    expect(E.isRight(r2)).toBe(true);
    expect(await positions(store)).toEqual([0, 1, 2]);
  });

  it("is never written when the chunk before it failed", async () => {
    const store = makeMemoryEventStore();
    const first = await prepared(store, await load(store), [item(0, listing), item(1, reserve("a"))]);
    const second = await prepared(store, first.entry, [item(2, reserve("b"))]);
    const r = await appendChunk(deps(store), second, Promise.resolve(false));
    expect(E.isLeft(r) && r.left._tag).toBe("PreviousAppendFailed");
    expect(await positions(store)).toEqual([]);
  });
});
