import { messageOf } from "../errors/message-of.ts";
import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
  START,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from "@eventstore/db-client";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { EventEnvelope } from "../../event-schemas/index.ts";
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  ReadStreamOptions,
  RecordedEvent,
  StoredEvent,
  StoreError,
} from "./port.ts";
import { readAheadOf } from "./read-ahead.ts";
import { decodeStoredRow } from "./stored-text.ts";
import { subscriptionSet, Waker } from "./subscription.ts";
import { checkTip, validateAppend } from "./validate-append.ts";

/**
 * The EventStoreDB adapter (`@eventstore/db-client`, gRPC). Streams are the port's `sku-<id>` streams.
 *
 * Stored bytes: each event is written as `application/octet-stream` whose bytes are the envelope's
 * canonical JSON. Not `application/json`: the client re-serialises JSON data with `JSON.stringify`, which
 * does not promise the RFC 8785 bytes the hash covers. The ESDB event id is the envelope's `eventId`.
 *
 * Positions: `GlobalPosition` is the event's PREPARE position in the transaction log. Every append is an
 * implicit transaction whose prepares are written contiguously before its commit, so prepare positions
 * are unique per event and increase along `$all` order, and commit >= prepare always. To read after p we
 * ask `$all` from {commit: p, prepare: p}: every event with prepare > p has commit >= prepare > p, so
 * none is skipped; events at or before p that the server still returns are dropped by comparing
 * prepare positions. (The commit position alone is shared by all events of one append, so it cannot
 * order them.)
 *
 * Appends: the tip (revision and hash) is read first, checked like the other adapters (expected
 * revision and chain link), then the batch is appended with the tip's revision as the server-side
 * expected revision, so a writer that slipped in between is still refused by the server. `any` is thus
 * enforced as "exactly the tip I checked". Caveat: if the very same events (same ids) were appended by
 * someone else in that gap, EventStoreDB treats the append as an idempotent success.
 *
 * Global feed: `$all` filtered to streams with the prefix (default `sku-`), system events skipped.
 * `readAll` filters on the client (this client's `readAll` has no server-side filter); live
 * subscriptions wake from a filtered `subscribeToAll` and then read through the same `readAll`, so
 * batching and ordering are identical to the other adapters. `listStreams` scans `$all` (O(events):
 * meant for tools, not hot paths).
 */
export interface EventStoreDbOptions {
  /** `esdb://host:2113?tls=false` */
  readonly connectionString: string;
  readonly pollIntervalMs?: number;
  readonly giveUpAfterMs?: number;
}

const unavailable = (e: unknown): StoreError => ({
  _tag: "StoreUnavailable",
  message: messageOf(e),
});

const PAGE = 1_000;

export const makeEventStoreDbEventStore = (opts: EventStoreDbOptions): EventStore => {
  // infra/config also accepts `kurrentdb://` (KurrentDB, the compose image); this client only parses the
  // `esdb` schemes, which mean the same thing.
  const client = EventStoreDBClient.connectionString(
    opts.connectionString.replace(/^kurrentdb(\+discover)?:/, "esdb$1:"),
  );
  const waker = new Waker();
  let live: ReturnType<EventStoreDBClient["subscribeToAll"]> | null = null;

  const attempt =
    <A>(f: () => Promise<E.Either<StoreError, A>>): TE.TaskEither<StoreError, A> =>
    () =>
      f().catch((e: unknown) => E.left(unavailable(e)));

  const textOf = (data: unknown): string | null =>
    data instanceof Uint8Array
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8")
      : null;

  const decode = (
    resolved: ResolvedEvent | AllStreamResolvedEvent,
  ): E.Either<StoreError, RecordedEvent> | null => {
    const ev = resolved.event;
    if (ev === undefined) return null;
    const position = ev.position?.prepare;
    if (position === undefined)
      return E.left({
        _tag: "StoreUnavailable",
        message: "server does not report event positions (needs > 22.6.0)",
      });
    const text = textOf(ev.data);
    if (text === null)
      return E.left({
        _tag: "CorruptEvent",
        streamId: ev.streamId,
        position,
        message: "event data is not binary",
      });
    return decodeStoredRow(position, ev.streamId, text);
  };

  /** Events of a stream read as the client streams them; a missing stream reads as []. */
  const readStreamRaw = async (
    streamId: string,
    fromRevision: bigint | typeof START | typeof END,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount: number | undefined,
  ): Promise<E.Either<StoreError, RecordedEvent[]>> => {
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of client.readStream(streamId, {
        fromRevision,
        direction,
        ...(maxCount === undefined ? {} : { maxCount }),
      })) {
        const r = decode(resolved);
        if (r === null) continue;
        if (E.isLeft(r)) return r;
        out.push(r.right);
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return E.right([]);
      throw e;
    }
    return E.right(out);
  };

  const pageOfAll = (
    fromPosition: ReadPosition,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount?: number,
  ): AsyncIterable<AllStreamResolvedEvent> =>
    client.readAll({ fromPosition, direction, ...(maxCount === undefined ? {} : { maxCount }) });

  const readAll = (after: GlobalPosition | null, limit: number, streamPrefix = "sku-") =>
    attempt(async (): Promise<E.Either<StoreError, ReadonlyArray<RecordedEvent>>> => {
      const out: RecordedEvent[] = [];
      let from: ReadPosition = after === null ? START : { commit: after, prepare: after };
      for (;;) {
        let seen = 0;
        let lastPosition: Position | null = null;
        const page: AsyncIterable<AllStreamResolvedEvent> = pageOfAll(from, FORWARDS, PAGE);
        for await (const resolved of page) {
          seen += 1;
          const ev: AllStreamResolvedEvent["event"] = resolved.event;
          if (ev === undefined) continue;
          lastPosition = ev.position;
          if (!ev.streamId.startsWith(streamPrefix) || ev.streamId.startsWith("$")) continue;
          if (after !== null && ev.position.prepare <= after) continue;
          const r = decode(resolved);
          if (r === null) continue;
          if (E.isLeft(r)) return r;
          out.push(r.right);
          if (out.length >= limit) return E.right(out);
        }
        if (seen < PAGE || lastPosition === null) return E.right(out);
        // The read is inclusive of its start: the event at `lastPosition` comes again and is dropped.
        after = lastPosition.prepare;
        from = lastPosition;
      }
    });

  const readAllStored = (after: GlobalPosition | null, limit: number, streamPrefix?: string) =>
    TE.map((events: ReadonlyArray<RecordedEvent>) =>
      events.map(
        (e): StoredEvent => ({
          position: e.position,
          streamId: e.envelope.streamId,
          storedText: e.storedText as string,
          hash: e.envelope.hash,
        }),
      ),
    )(readAll(after, limit, streamPrefix));

  const startLive = () => {
    if (live !== null) return;
    const sub = client.subscribeToAll({
      fromPosition: END,
      filter: streamNameFilter({ prefixes: ["sku-"] }),
    });
    sub.on("data", () => waker.wake());
    // Losing the wake-up stream only slows delivery to the poll interval; try again on the next subscribe.
    sub.on("error", () => {
      live = null;
    });
    live = sub;
  };

  const subscriptions = subscriptionSet({
    readAll,
    waker,
    pollIntervalMs: opts.pollIntervalMs ?? 1_000,
    giveUpAfterMs: opts.giveUpAfterMs ?? 60_000,
  });
  return {
    append: (streamId: string, expected: ExpectedRevision, events: ReadonlyArray<EventEnvelope>) =>
      attempt(async (): Promise<E.Either<StoreError, AppendResult>> => {
        const v = validateAppend(streamId, expected, events);
        if (E.isLeft(v)) return v;
        const last = await readStreamRaw(streamId, END, BACKWARDS, 1);
        if (E.isLeft(last)) return last;
        const tipEvent = last.right[0];
        const tip =
          tipEvent === undefined
            ? null
            : { revision: tipEvent.envelope.revision, hash: tipEvent.envelope.hash };
        const refused = checkTip(v.right, expected, tip);
        if (refused !== null) return E.left(refused);
        try {
          await client.appendToStream(
            streamId,
            v.right.events.map((e) => ({
              id: e.envelope.eventId,
              contentType: "application/octet-stream" as const,
              type: e.envelope.type,
              data: new Uint8Array(Buffer.from(e.text, "utf8")),
              metadata: undefined,
            })),
            { expectedRevision: tip === null ? NO_STREAM : BigInt(tip.revision) },
          );
        } catch (e) {
          if (e instanceof WrongExpectedVersionError) {
            const actual = e.actualVersion === NO_STREAM ? null : Number(e.actualVersion);
            return E.left({ _tag: "WrongExpectedRevision", streamId, expected, actual });
          }
          throw e;
        }
        // The append result's position is not documented per event; read back the last one written.
        const written = await readStreamRaw(streamId, END, BACKWARDS, 1);
        if (E.isLeft(written)) return written;
        const tail = written.right[0];
        if (tail === undefined)
          return E.left({ _tag: "StoreUnavailable", message: "appended events not readable" });
        waker.wake();
        return E.right({ revision: v.right.lastRevision, position: tail.position });
      }),

    readStream: (streamId: string, o: ReadStreamOptions = {}) =>
      attempt(async () => {
        const forward = (o.direction ?? "forward") === "forward";
        if (o.limit !== undefined && o.limit <= 0) return E.right([]);
        const from = forward ? BigInt(Math.max(o.from ?? 0, 0)) : o.from === undefined ? END : BigInt(o.from);
        if (!forward && o.from !== undefined && o.from < 0) return E.right([]);
        return readStreamRaw(streamId, from, forward ? FORWARDS : BACKWARDS, o.limit);
      }),

    readAll,
    // Verified by decoding (this client hands events over one by one; the text comes with them).
    readAllStored,
    readAllStoredPages: readAheadOf(readAllStored),

    subscribe: (subOpts, onBatch) => {
      startLive();
      return subscriptions.subscribe(subOpts, onBatch);
    },

    headPosition: () =>
      attempt(async () => {
        let from: ReadPosition = END;
        for (;;) {
          let seen = 0;
          let lastPosition: Position | null = null;
          const page: AsyncIterable<AllStreamResolvedEvent> = pageOfAll(from, BACKWARDS, PAGE);
          for await (const resolved of page) {
            seen += 1;
            const ev: AllStreamResolvedEvent["event"] = resolved.event;
            if (ev === undefined) continue;
            lastPosition = ev.position;
            if (ev.streamId.startsWith("sku-"))
              return E.right<StoreError, GlobalPosition | null>(ev.position.prepare);
          }
          if (seen < PAGE || lastPosition === null) return E.right(null);
          from = lastPosition;
        }
      }),

    listStreams: (prefix: string) =>
      attempt(async () => {
        const names = new Set<string>();
        for await (const resolved of pageOfAll(START, FORWARDS)) {
          const id = resolved.event?.streamId ?? "$";
          if (id.startsWith(prefix) && !id.startsWith("$")) names.add(id);
        }
        return E.right([...names].sort());
      }),

    close: async () => {
      await subscriptions.stopAll();
      await live?.unsubscribe().catch(() => undefined);
      await client.dispose();
    },
  };
};
