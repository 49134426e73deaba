import * as E from "fp-ts/lib/Either.js";
import {
  decodeEnvelope,
  type EventEnvelope,
  GENESIS_HASH,
  IDENTIFIER_PATTERN,
  sealedTextOf,
} from "../../event-schemas/index.ts";
import type { ExpectedRevision, StoreError } from "./port.ts";
import { encodeStored } from "./stored-text.ts";

/** Streams are `sku-<Identifier>` (DESIGN.md, "The log"). */
export const STREAM_ID = new RegExp(`^sku-${IDENTIFIER_PATTERN}$`);
/** Largest stored event: the UTF-8 bytes of its canonical JSON. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** Largest batch in one append (the PostgreSQL adapter numbers events within a transaction in 16 bits). */
export const MAX_EVENTS_PER_APPEND = 10_000;

/** One event ready to store: its envelope and the exact text that is stored and hashed. */
export interface PreparedEvent {
  readonly envelope: EventEnvelope;
  readonly text: string;
}

/** A batch that passed every check that does not need the store's state. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly events: ReadonlyArray<PreparedEvent>;
  readonly firstRevision: number;
  readonly lastRevision: number;
  /** The `prevHash` of the first event: must be the hash of the stream's current last event. */
  readonly firstPrevHash: string;
  readonly lastHash: string;
}

const invalid = (streamId: string, reason: string): E.Either<StoreError, never> =>
  E.left({ _tag: "InvalidAppend", streamId, reason });

/**
 * Every check on an append that needs no I/O, shared by all adapters so they refuse the same things with
 * the same words: the stream name, a non-empty bounded batch, envelopes that decode, belong to the stream,
 * carry contiguous revisions that follow `expected`, are sealed (each hash verifies, each links to the
 * previous one) and fit in 64 KiB. What is left for the store is the check against its current tip.
 */
export const validateAppend = (
  streamId: string,
  expected: ExpectedRevision,
  events: ReadonlyArray<EventEnvelope>,
): E.Either<StoreError, PreparedAppend> => {
  if (!STREAM_ID.test(streamId))
    return invalid(streamId, `stream id must be sku-<Identifier>, got "${streamId}"`);
  if (events.length === 0) return invalid(streamId, "empty batch: an append needs at least one event");
  if (events.length > MAX_EVENTS_PER_APPEND)
    return invalid(streamId, `batch of ${events.length} events exceeds ${MAX_EVENTS_PER_APPEND}`);
  if (expected.kind === "exact" && !(Number.isSafeInteger(expected.revision) && expected.revision >= 0))
    return invalid(streamId, `expected revision must be a non-negative integer, got ${expected.revision}`);
  const first = events[0]!;
  const firstRevision =
    expected.kind === "exact" ? expected.revision + 1 : expected.kind === "no-stream" ? 0 : first.revision;
  const prepared: PreparedEvent[] = [];
  let prevHash = first.prevHash;
  for (let i = 0; i < events.length; i++) {
    const raw = events[i]!;
    // The writer's own envelope: its text was canonicalised and hashed once, by `sealEvents`; only the
    // links are checked here.
    const sealedText = typeof raw === "object" && raw !== null ? sealedTextOf(raw) : null;
    if (sealedText !== null) {
      if (raw.streamId !== streamId) return invalid(streamId, `event ${i} belongs to stream ${raw.streamId}`);
      if (raw.revision !== firstRevision + i)
        return invalid(
          streamId,
          `event ${i} has revision ${raw.revision}, expected ${firstRevision + i} (after ${describeExpected(expected)})`,
        );
      if (raw.prevHash !== prevHash)
        return invalid(streamId, `event ${i} does not link to the previous event's hash`);
      if (raw.revision === 0 && raw.prevHash !== GENESIS_HASH)
        return invalid(streamId, "revision 0 must link to the genesis hash");
      // A UTF-8 byte is at most 3 per UTF-16 unit: count bytes only when the text might be too long.
      const bytes = sealedText.length * 3 <= MAX_EVENT_BYTES ? 0 : Buffer.byteLength(sealedText, "utf8");
      if (bytes > MAX_EVENT_BYTES)
        return invalid(streamId, `event ${i} is ${bytes} bytes, more than the ${MAX_EVENT_BYTES}-byte limit`);
      prepared.push({ envelope: raw, text: sealedText });
      prevHash = raw.hash;
      continue;
    }
    const decoded = decodeEnvelope(raw);
    if (E.isLeft(decoded)) {
      const why = "message" in decoded.left ? decoded.left.message : decoded.left._tag;
      return invalid(streamId, `event ${i} is not a valid envelope: ${why}`);
    }
    const env = decoded.right;
    if (env.streamId !== streamId) return invalid(streamId, `event ${i} belongs to stream ${env.streamId}`);
    if (env.revision !== firstRevision + i)
      return invalid(
        streamId,
        `event ${i} has revision ${env.revision}, expected ${firstRevision + i} (after ${describeExpected(expected)})`,
      );
    if (env.prevHash !== prevHash)
      return invalid(streamId, `event ${i} does not link to the previous event's hash`);
    if (env.revision === 0 && env.prevHash !== GENESIS_HASH)
      return invalid(streamId, "revision 0 must link to the genesis hash");
    const text = encodeStored(env);
    if (E.isLeft(text)) return invalid(streamId, `event ${i}: ${text.left}`);
    const bytes = Buffer.byteLength(text.right, "utf8");
    if (bytes > MAX_EVENT_BYTES)
      return invalid(streamId, `event ${i} is ${bytes} bytes, more than the ${MAX_EVENT_BYTES}-byte limit`);
    prepared.push({ envelope: env, text: text.right });
    prevHash = env.hash;
  }
  return E.right({
    streamId,
    events: prepared,
    firstRevision,
    lastRevision: firstRevision + events.length - 1,
    firstPrevHash: first.prevHash,
    lastHash: prevHash,
  });
};

export const describeExpected = (expected: ExpectedRevision): string => {
  switch (expected.kind) {
    case "exact":
      return `revision ${expected.revision}`;
    case "no-stream":
      return "no stream";
    case "any":
      return "any revision";
    default: {
      const never: never = expected;
      return never;
    }
  }
};

/**
 * The check against the stream's current tip, the same in every adapter. `any` still needs the batch to
 * follow the tip (revisions are sealed into the events), so a moved tip is a conflict there too.
 * Returns `null` when the append may proceed.
 */
export const checkTip = (
  append: PreparedAppend,
  expected: ExpectedRevision,
  tip: { readonly revision: number; readonly hash: string } | null,
): StoreError | null => {
  const actual = tip === null ? null : tip.revision;
  const conflict: StoreError = { _tag: "WrongExpectedRevision", streamId: append.streamId, expected, actual };
  switch (expected.kind) {
    case "exact":
      if (actual !== expected.revision) return conflict;
      break;
    case "no-stream":
      if (actual !== null) return conflict;
      break;
    case "any":
      if (append.firstRevision !== (actual === null ? 0 : actual + 1)) return conflict;
      break;
    default: {
      const never: never = expected;
      return never;
    }
  }
  const tipHash = tip === null ? GENESIS_HASH : tip.hash;
  if (append.firstPrevHash !== tipHash)
    return {
      _tag: "InvalidAppend",
      streamId: append.streamId,
      reason: `revision ${append.firstRevision} does not link to the hash of revision ${actual ?? "(genesis)"}`,
    };
  return null;
};
