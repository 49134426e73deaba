import type * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { EventEnvelope } from "../../event-schemas/index.ts";

/**
 * The event store port. Every function returns errors as values. Events are stored exactly as the writer
 * sealed them (the hash covers their canonical JSON), so adapters store bytes, not re-serialised JSONB.
 *
 * Positions: `GlobalPosition` is a bigint, strictly increasing along the global feed, comparable within
 * one store. The feed is gap-free in the sense that matters: once a subscriber has seen position p, no
 * event with a position <= p can appear later (an adapter must withhold positions whose transactions
 * may still commit below them).
 *
 * Re-appending: an append whose expected revision no longer matches is a `WrongExpectedRevision`, even if
 * the events are the same ones (event ids are not used for deduplication; the command handler
 * recognises redelivered commands by their queue position instead).
 */
export type GlobalPosition = bigint;

/** What the writer expects the stream's last revision to be. */
export type ExpectedRevision =
  | { readonly kind: "exact"; readonly revision: number }
  | { readonly kind: "no-stream" }
  | { readonly kind: "any" };

export const expectExact = (revision: number): ExpectedRevision => ({ kind: "exact", revision });
export const expectNoStream: ExpectedRevision = { kind: "no-stream" };
export const expectAny: ExpectedRevision = { kind: "any" };
/** `tip === null` means the stream does not exist yet. */
export const expectTip = (tip: { readonly revision: number } | null): ExpectedRevision =>
  tip === null ? expectNoStream : expectExact(tip.revision);

export interface RecordedEvent {
  readonly envelope: EventEnvelope;
  readonly position: GlobalPosition;
  /**
   * The envelope's RFC 8785 text exactly as stored and verified, when the adapter has it (PostgreSQL):
   * a consumer that forwards the event (the integration relay) sends these bytes instead of
   * re-canonicalising the envelope.
   */
  readonly storedText?: string;
}

/**
 * An event of the feed as stored: its text's bytes verified against the hash they carry, nothing decoded
 * yet (`decodeVerifiedStoredEvent` in stored-text.ts decodes it, with every other check `readAll` makes). For readers
 * that forward or inspect the stored form and decode only what they use.
 */
export interface StoredEvent {
  readonly position: GlobalPosition;
  /** The stream the store filed the event under (the decoded envelope must name the same). */
  readonly streamId: string;
  /** The envelope's RFC 8785 text exactly as stored. */
  readonly storedText: string;
  /** The hash the text carries, which its bytes were found to hash to. */
  readonly hash: string;
}

export interface AppendResult {
  /** Revision of the last event written. */
  readonly revision: number;
  /** Global position of the last event written. */
  readonly position: GlobalPosition;
}

export type StoreError =
  | {
      readonly _tag: "WrongExpectedRevision";
      readonly streamId: string;
      readonly expected: ExpectedRevision;
      /** The stream's actual last revision, `null` when it does not exist. */
      readonly actual: number | null;
    }
  | { readonly _tag: "InvalidAppend"; readonly streamId: string; readonly reason: string }
  | {
      /**
       * A stored event failed to decode or its stored bytes no longer hash to its `hash` (the store or
       * the disk was tampered with). Reads return it instead of the event; never retried.
       */
      readonly _tag: "CorruptEvent";
      readonly streamId: string;
      readonly position: GlobalPosition | null;
      readonly message: string;
    }
  | { readonly _tag: "StoreUnavailable"; readonly message: string };

export interface ReadStreamOptions {
  /** Forward: first revision to read (default 0). Backward: the revision to start from (default the end). */
  readonly from?: number;
  readonly direction?: "forward" | "backward";
  /** At most this many events (default: all). */
  readonly limit?: number;
}

export interface SubscribeOptions {
  /** Deliver events with a position strictly after this one; `null` from the beginning. */
  readonly after: GlobalPosition | null;
  /** Largest batch handed to `onBatch` (default 500). */
  readonly batchSize?: number;
  /** Only streams whose id starts with this prefix (default "sku-"). */
  readonly streamPrefix?: string;
}

/** A running subscription. `stop()` resolves once no further batch will be delivered. */
export interface Subscription {
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves after `stop()`, rejects if `onBatch` threw or the store failed for good. */
  readonly done: Promise<void>;
}

export interface EventStore {
  /**
   * Append sealed envelopes (revisions already assigned, contiguous after the expected revision) atomically.
   *
   * Refused with `InvalidAppend`, writing nothing: a stream id not matching `sku-<Identifier>`, an empty
   * batch (or more than 10,000 events), an envelope that does not decode or belongs to another stream,
   * revisions that do not follow `expected`, a hash that does not verify or a broken link (within the
   * batch or to the stream's last event), an event whose canonical JSON exceeds 64 KiB.
   * Refused with `WrongExpectedRevision` (carrying the actual last revision): the stream's tip is not the
   * expected one. For `any`, the batch's first revision must still follow the actual tip (revisions are
   * sealed into the events), so a moved tip is a conflict there too.
   */
  append(
    streamId: string,
    expected: ExpectedRevision,
    events: ReadonlyArray<EventEnvelope>,
  ): TE.TaskEither<StoreError, AppendResult>;
  /** Read one stream. A stream that does not exist reads as `[]`. */
  readStream(
    streamId: string,
    opts?: ReadStreamOptions,
  ): TE.TaskEither<StoreError, ReadonlyArray<RecordedEvent>>;
  /**
   * Read the global feed: events with position strictly after `after`, at most `limit`. The feed may
   * publish an event a little after its append returned (PostgreSQL withholds it while an older
   * transaction may still commit below it), never out of order; use `readStream` for read-your-writes.
   */
  readAll(
    after: GlobalPosition | null,
    limit: number,
    streamPrefix?: string,
  ): TE.TaskEither<StoreError, ReadonlyArray<RecordedEvent>>;
  /**
   * `readAll`'s page as stored: each event's bytes verified against the hash they carry, nothing decoded
   * (the cheapest verified read). A text that fails is a `CorruptEvent`, as in `readAll`;
   * `decodeVerifiedStoredEvent` (stored-text.ts) then gives what `readAll` gives.
   */
  readAllStored(
    after: GlobalPosition | null,
    limit: number,
    streamPrefix?: string,
  ): TE.TaskEither<StoreError, ReadonlyArray<StoredEvent>>;
  /**
   * The feed after `after` as `readAllStored` pages it, page after page up to the first short page (the
   * head as it was when read), one page read ahead: the next page is being read while the caller has
   * this one (PostgreSQL: while this one is still being verified). Ends after yielding an error. For
   * catching up (rebuilds, long reads); `subscribe` follows live.
   */
  readAllStoredPages(
    after: GlobalPosition | null,
    limit: number,
    streamPrefix?: string,
  ): AsyncIterable<E.Either<StoreError, ReadonlyArray<StoredEvent>>>;
  /** Catch up from `after`, then follow live. Batches are delivered one at a time, in feed order. */
  subscribe(
    opts: SubscribeOptions,
    onBatch: (events: ReadonlyArray<RecordedEvent>) => Promise<void>,
  ): Subscription;
  /**
   * Position of the last committed event (`null` when empty). Every event committed before the call is
   * delivered by the feed at or before this position, possibly a little later (see `readAll`).
   */
  headPosition(): TE.TaskEither<StoreError, GlobalPosition | null>;
  /** Ids of the streams with this prefix, sorted. */
  listStreams(prefix: string): TE.TaskEither<StoreError, ReadonlyArray<string>>;
  close(): Promise<void>;
}
