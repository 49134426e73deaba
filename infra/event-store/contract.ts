import * as E from "fp-ts/lib/Either.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EventEnvelope, verifyChain } from "../../event-schemas/index.ts";
import {
  type EventStore,
  expectAny,
  expectExact,
  expectNoStream,
  type GlobalPosition,
  type RecordedEvent,
  type StoredEvent,
  type StoreError,
} from "./port.ts";
import { decodeVerifiedStoredEvent } from "./stored-text.ts";
import { freshStream, oversizeListing, sealedEvents, tipOf } from "./test-events.ts";

/** A store under test and how to throw it away (drop its database, close its pools). */
export interface StoreUnderTest {
  readonly store: EventStore;
  readonly dispose: () => Promise<void>;
}

const right = async <A>(te: () => Promise<E.Either<StoreError, A>>): Promise<A> => {
  const r = await te();
  if (E.isLeft(r))
    throw new Error(
      `expected success, got ${JSON.stringify(r.left, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`,
    );
  return r.right;
};

const rightOf = async <A>(r: E.Either<StoreError, A>): Promise<A> => right(async () => r);

const left = async <A>(te: () => Promise<E.Either<StoreError, A>>): Promise<StoreError> => {
  const r = await te();
  if (E.isRight(r)) throw new Error("expected an error, the call succeeded");
  return r.left;
};

/** Poll `check` until it holds or the deadline passes (no sleep-and-hope). */
export const eventually = async (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const envelopes = (events: ReadonlyArray<RecordedEvent>): EventEnvelope[] => events.map((e) => e.envelope);

/**
 * The global feed after `after` once it holds at least `count` events. The feed may publish a commit a
 * little later than `append` returns (PostgreSQL withholds it while an older transaction of the cluster
 * is still running), so tests wait for it with a deadline rather than read once.
 */
const feedOf = async (store: EventStore, after: GlobalPosition | null, count: number, prefix?: string) => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const feed = await right(store.readAll(after, 10_000, prefix));
    if (feed.length >= count) return feed;
    if (Date.now() > deadline) throw new Error(`timed out: the feed holds ${feed.length} of ${count} events`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const strictlyIncreasing = (ps: ReadonlyArray<GlobalPosition>): boolean =>
  ps.every((p, i) => i === 0 || p > ps[i - 1]!);

/**
 * The one behaviour every event store adapter must have. Run it from a test file per adapter:
 *
 * @example
 *   eventStoreContract("memory", async () => ({ store: makeMemoryEventStore(), dispose: async () => {} }));
 *
 * `makeStore` is called before every test. The tests do not assume the store is empty (a shared
 * EventStoreDB cannot be emptied): they use fresh stream ids and start reading the feed at the head they
 * found; only `emptyStore: true` adds the checks that need a brand-new store. Tests in one file run one
 * at a time, and nothing else may write to the store meanwhile.
 */
export const eventStoreContract = (
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  opts: { readonly skip?: boolean; readonly timeoutMs?: number; readonly emptyStore?: boolean } = {},
): void => {
  describe.skipIf(opts.skip === true)(
    `event store contract: ${name}`,
    { timeout: opts.timeoutMs ?? 30_000 },
    () => {
      let sut: StoreUnderTest;
      let store: EventStore;
      /** The head when the test started: the feed is read from here on. */
      let start: GlobalPosition | null;
      beforeEach(async () => {
        sut = await makeStore();
        store = sut.store;
        start = await right(store.headPosition());
      });
      afterEach(async () => {
        await sut.dispose();
      });

      /** Append `count` fresh events after the stream's current tip. */
      const appendMore = async (streamId: string, count: number) => {
        const last = await right(store.readStream(streamId, { direction: "backward", limit: 1 }));
        const tip = last[0] === undefined ? null : tipOf([last[0].envelope]);
        const events = sealedEvents(streamId, tip, count);
        const r = await right(
          store.append(streamId, tip === null ? expectNoStream : expectExact(tip.revision), events),
        );
        return { events, result: r };
      };

      it("appends a new stream and reads back exactly what was sealed", async () => {
        const s = freshStream();
        const events = sealedEvents(s, null, 3);
        const r = await right(store.append(s, expectNoStream, events));
        expect(r.revision).toBe(2);
        const read = await right(store.readStream(s));
        expect(envelopes(read)).toEqual(events);
        expect(read[2]!.position).toBe(r.position);
        expect(strictlyIncreasing(read.map((e) => e.position))).toBe(true);
        expect(E.isRight(verifyChain(envelopes(read), { streamId: s }))).toBe(true);
      });

      it("refuses a wrong exact revision with expected and actual, writing nothing", async () => {
        const s = freshStream();
        const first = sealedEvents(s, null, 2);
        await right(store.append(s, expectNoStream, first));
        const stale = sealedEvents(s, { revision: 0, hash: first[0]!.hash }, 1);
        const err = await left(store.append(s, expectExact(0), stale));
        expect(err).toEqual({
          _tag: "WrongExpectedRevision",
          streamId: s,
          expected: expectExact(0),
          actual: 1,
        });
        expect(await right(store.readStream(s))).toHaveLength(2);
      });

      it("refuses no-stream on an existing stream and exact on a missing one", async () => {
        const s = freshStream();
        const first = sealedEvents(s, null, 1);
        await right(store.append(s, expectNoStream, first));
        const again = sealedEvents(s, null, 1);
        expect(await left(store.append(s, expectNoStream, again))).toEqual({
          _tag: "WrongExpectedRevision",
          streamId: s,
          expected: expectNoStream,
          actual: 0,
        });
        const missing = freshStream();
        const next = sealedEvents(missing, { revision: 4, hash: first[0]!.hash }, 1);
        expect(await left(store.append(missing, expectExact(4), next))).toEqual({
          _tag: "WrongExpectedRevision",
          streamId: missing,
          expected: expectExact(4),
          actual: null,
        });
        expect(await right(store.readStream(s))).toHaveLength(1);
        expect(await right(store.readStream(missing))).toEqual([]);
      });

      it("accepts any when the batch follows the tip, and refuses it when the tip moved", async () => {
        const s = freshStream();
        const first = sealedEvents(s, null, 2);
        await right(store.append(s, expectAny, first));
        const next = sealedEvents(s, tipOf(first), 2);
        expect((await right(store.append(s, expectAny, next))).revision).toBe(3);
        const stale = sealedEvents(s, tipOf(first), 1);
        expect(await left(store.append(s, expectAny, stale))).toEqual({
          _tag: "WrongExpectedRevision",
          streamId: s,
          expected: expectAny,
          actual: 3,
        });
        expect(await right(store.readStream(s))).toHaveLength(4);
      });

      it("keeps append order across streams in the global feed", async () => {
        const a = freshStream("a");
        const b = freshStream("b");
        const a1 = sealedEvents(a, null, 2);
        const b1 = sealedEvents(b, null, 3);
        const a2 = sealedEvents(a, tipOf(a1), 1);
        const r1 = await right(store.append(a, expectNoStream, a1));
        const r2 = await right(store.append(b, expectNoStream, b1));
        const r3 = await right(store.append(a, expectExact(1), a2));
        expect(r1.position < r2.position && r2.position < r3.position).toBe(true);
        const feed = await feedOf(store, start, 6);
        expect(envelopes(feed)).toEqual([...a1, ...b1, ...a2]);
        expect(strictlyIncreasing(feed.map((e) => e.position))).toBe(true);
        expect(feed[feed.length - 1]!.position).toBe(r3.position);
        expect(await right(store.headPosition())).toBe(r3.position);
      });

      it("appends a batch of 250 events atomically", async () => {
        const s = freshStream();
        const events = sealedEvents(s, null, 250);
        const r = await right(store.append(s, expectNoStream, events));
        expect(r.revision).toBe(249);
        const read = await right(store.readStream(s));
        expect(read.map((e) => e.envelope.revision)).toEqual(events.map((e) => e.revision));
        expect(envelopes(read)).toEqual(events);
      });

      it("holds a 10,000-event stream and reads it forward, backward and by pages", async () => {
        const s = freshStream("long");
        let tip = null as ReturnType<typeof tipOf> | null;
        for (let i = 0; i < 40; i++) {
          const batch = sealedEvents(s, tip, 250);
          await right(store.append(s, tip === null ? expectNoStream : expectExact(tip.revision), batch));
          tip = tipOf(batch);
        }
        const all = await right(store.readStream(s));
        expect(all).toHaveLength(10_000);
        expect(all.map((e) => e.envelope.revision)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
        expect(E.isRight(verifyChain(envelopes(all), { streamId: s }))).toBe(true);
        const tail = await right(store.readStream(s, { from: 9_990, limit: 5 }));
        expect(tail.map((e) => e.envelope.revision)).toEqual([9_990, 9_991, 9_992, 9_993, 9_994]);
        const back = await right(store.readStream(s, { direction: "backward", limit: 3 }));
        expect(back.map((e) => e.envelope.revision)).toEqual([9_999, 9_998, 9_997]);
        const backFrom = await right(store.readStream(s, { direction: "backward", from: 2 }));
        expect(backFrom.map((e) => e.envelope.revision)).toEqual([2, 1, 0]);
        expect(await right(store.readStream(s, { from: 10_000 }))).toEqual([]);
      });

      it("reads a missing stream as empty", async () => {
        expect(await right(store.readStream(freshStream("missing")))).toEqual([]);
        expect(await right(store.readStream(freshStream("missing"), { direction: "backward" }))).toEqual([]);
      });

      it("pages through the global feed with readAll", async () => {
        const prefix = freshStream("pg");
        const streams = [`${prefix}-p`, `${prefix}-q`, `${prefix}-r`];
        for (const s of streams) await appendMore(s, 4);
        for (const s of streams) await appendMore(s, 6);
        const whole = await feedOf(store, start, 30);
        expect(whole).toHaveLength(30);
        expect(await feedOf(store, start, 30, prefix)).toEqual(whole);
        const pages: RecordedEvent[] = [];
        let after: GlobalPosition | null = start;
        for (;;) {
          const page: ReadonlyArray<RecordedEvent> = await right(store.readAll(after, 7));
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(7);
          pages.push(...page);
          after = page[page.length - 1]!.position;
        }
        expect(pages).toEqual(whole);
        expect(await right(store.readAll(whole[29]!.position, 10))).toEqual([]);
        expect(await right(store.readAll(null, 1_000, "sku-nothing-"))).toEqual([]);
      });

      it("reads the feed as stored, verified and paged ahead, as readAll reads it", async () => {
        const prefix = freshStream("st");
        for (const s of [`${prefix}-a`, `${prefix}-b`]) await appendMore(s, 9);
        const whole = await feedOf(store, start, 18, prefix);
        const stored = await right(store.readAllStored(start, 100, prefix));
        expect(stored.map((e) => decodeVerifiedStoredEvent(e))).toEqual(
          whole.map((e) =>
            E.right({ ...e, storedText: stored.find((s) => s.position === e.position)?.storedText }),
          ),
        );
        expect(stored.map((e) => e.hash)).toEqual(whole.map((e) => e.envelope.hash));
        const pages: StoredEvent[][] = [];
        for await (const page of store.readAllStoredPages(start, 4, prefix))
          pages.push([...(await rightOf(page))]);
        expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 4, 2]);
        expect(pages.flat()).toEqual(stored);
        const afterAll: StoredEvent[][] = [];
        for await (const page of store.readAllStoredPages(whole[17]!.position, 4, prefix))
          afterAll.push([...(await rightOf(page))]);
        expect(afterAll).toEqual([[]]);
      });

      it("resumes a subscription from a checkpoint without loss or repeats", async () => {
        const s = freshStream();
        await appendMore(s, 10);
        const seen: RecordedEvent[] = [];
        const first = store.subscribe({ after: start, batchSize: 4 }, async (batch) => {
          seen.push(...batch);
        });
        await eventually(() => seen.length >= 10, "first subscriber to catch up");
        await first.stop();
        await first.done;
        expect(seen).toHaveLength(10);
        const checkpoint = seen[5]!.position;
        await appendMore(s, 5);
        const resumed: RecordedEvent[] = [];
        const second = store.subscribe({ after: checkpoint, batchSize: 3 }, async (batch) => {
          resumed.push(...batch);
        });
        await eventually(() => resumed.length >= 9, "resumed subscriber to catch up");
        await appendMore(s, 2);
        await eventually(() => resumed.length >= 11, "resumed subscriber to see live events");
        await second.stop();
        expect(resumed.map((e) => e.envelope.revision)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        expect(resumed[0]!.position > checkpoint).toBe(true);
        expect(strictlyIncreasing(resumed.map((e) => e.position))).toBe(true);
      });

      it("delivers concurrent appends to several streams to a live subscriber exactly once, in feed order", async () => {
        const streams = Array.from({ length: 6 }, (_, i) => freshStream(`c${i}`));
        const seen: RecordedEvent[] = [];
        const sub = store.subscribe({ after: start, batchSize: 50 }, async (batch) => {
          seen.push(...batch);
        });
        await Promise.all(
          streams.map(async (s) => {
            for (let i = 0; i < 8; i++) await appendMore(s, 5);
          }),
        );
        await eventually(() => seen.length >= 240, "subscriber to see 240 events");
        await sub.stop();
        expect(seen).toHaveLength(240);
        expect(strictlyIncreasing(seen.map((e) => e.position))).toBe(true);
        expect(new Set(seen.map((e) => e.envelope.eventId)).size).toBe(240);
        for (const s of streams)
          expect(seen.filter((e) => e.envelope.streamId === s).map((e) => e.envelope.revision)).toEqual(
            Array.from({ length: 40 }, (_, i) => i),
          );
        expect(seen).toEqual(await feedOf(store, start, 240));
      });

      it("refuses bad input with InvalidAppend and writes nothing", async () => {
        const s = freshStream();
        const other = freshStream("other");
        const good = sealedEvents(s, null, 3);
        const invalid = async (
          streamId: string,
          events: ReadonlyArray<EventEnvelope>,
          expected = expectNoStream,
        ) => {
          const err = await left(store.append(streamId, expected, events));
          expect(err._tag).toBe("InvalidAppend");
          expect(err).toMatchObject({ streamId });
        };
        await invalid(s, []);
        for (const bad of ["tee", "sku-", "sku-a b", "order-1", `sku-${"x".repeat(65)}`])
          await invalid(bad, sealedEvents(bad, null, 1));
        await invalid(other, good);
        await invalid(s, good.slice(1));
        await invalid(s, good, expectExact(0));
        await invalid(s, [good[0]!, good[2]!]);
        await invalid(s, [{ ...good[0]!, requestId: "tampered" }]);
        await invalid(s, oversizeListing(s, 70 * 1024));
        expect(await right(store.readStream(s))).toEqual([]);
        expect(await right(store.headPosition())).toBe(start);
        expect(await right(store.listStreams(s))).toEqual([]);
        // An event that does not link to the stream's last hash is refused too.
        await right(store.append(s, expectNoStream, good.slice(0, 1)));
        const foreignChain = sealedEvents(s, { revision: 0, hash: "f".repeat(64) }, 1);
        await invalid(s, foreignChain, expectExact(0));
        expect(await right(store.readStream(s))).toHaveLength(1);
      });

      it("accepts an event just under 64 KiB", async () => {
        const s = freshStream();
        const events = oversizeListing(s, 60 * 1024);
        await right(store.append(s, expectNoStream, events));
        expect(envelopes(await right(store.readStream(s)))).toEqual(events);
      });

      it("lists streams by prefix, sorted, and reports the head position", async () => {
        const p = freshStream("ls");
        const names = [`${p}zeta`, `${p}alpha`, `${p}Beta`, `${p}al_pha`, `${p}alpha.2`];
        let last: GlobalPosition | null = null;
        for (const n of names) last = (await appendMore(n, 1)).result.position;
        expect(await right(store.listStreams(p))).toEqual([...names].sort());
        expect(await right(store.listStreams(`${p}al`))).toEqual([`${p}al_pha`, `${p}alpha`, `${p}alpha.2`]);
        expect(await right(store.listStreams(`${p}al_`))).toEqual([`${p}al_pha`]);
        expect(await right(store.listStreams("sku-"))).toEqual(expect.arrayContaining(names));
        expect(await right(store.headPosition())).toBe(last);
      });

      it.runIf(opts.emptyStore === true)("starts empty", async () => {
        expect(start).toBeNull();
        expect(await right(store.listStreams("sku-"))).toEqual([]);
        expect(await right(store.readAll(null, 10))).toEqual([]);
        const s = freshStream();
        const r = await right(store.append(s, expectNoStream, sealedEvents(s, null, 1)));
        expect(await right(store.headPosition())).toBe(r.position);
      });
    },
  );
};
