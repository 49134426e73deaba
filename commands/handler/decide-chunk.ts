import * as E from "fp-ts/lib/Either.js";
import { decideBatch, type DomainError } from "../../domain/sku/index.ts";
import {
  type ChainTip,
  type EventDraft,
  type EventEnvelope,
  type Outcome,
  type QueuedCommand,
  type SkuCommand,
  sealEvents,
  streamIdOf,
} from "../../event-schemas/index.ts";
import { type EventStore, expectTip, type StoreError } from "../../infra/event-store/port.ts";
import type { OutcomeStoreError } from "../../infra/redis/outcomes.ts";

/** Why a chunk could not be decided: the store refused or failed, or a recorded outcome could not be read. */
export type ChunkError = StoreError | OutcomeStoreError;
import { outcomeFromError, outcomeFromEvent } from "./outcomes.ts";
import { rememberOutcome, type SkuEntry } from "./sku-cache.ts";

/** One command read from the queue, with its position (the Kafka offset) on its SKU's partition. */
export interface QueuedItem {
  readonly queued: QueuedCommand;
  readonly position: number;
  /** The W3C `traceparent` header the command came with, when it had one. */
  readonly traceparent?: string | null;
}

/** An outcome and where to send it. */
export interface Reply {
  readonly outcome: Outcome;
  readonly replyTo: string | null;
}

export interface ChunkResult {
  readonly entry: SkuEntry;
  readonly replies: ReadonlyArray<Reply>;
  /** Events appended (0 when every command was a redelivery or a refusal). */
  readonly appended: number;
}

export interface ChunkDeps {
  readonly store: EventStore;
  /** The handler's clock: every command of the chunk is decided at this instant. */
  readonly now: () => Date;
  readonly newId: () => string;
  /** The recorded outcome of a request the handler no longer remembers (the Redis outcome key). */
  readonly recordedOutcome: (requestId: string) => Promise<E.Either<OutcomeStoreError, Outcome | null>>;
}

/** Events per append: half the store's limit, so a chunk of lapsed holds never makes an append too large. */
const APPEND_SLICE = 5000;

const userOf = (q: QueuedCommand): string | null => ("userId" in q.command ? q.command.userId : null);

/**
 * A chunk decided but not yet appended: the entry it leaves, its answers, and the appends that make it
 * so. Nothing is written yet; the next chunk may be decided against `entry` while `appendChunk` runs
 * (consumer.ts pipelines them), and everything here is discarded if the append is refused.
 */
export interface PreparedChunk {
  /** The SKU after this chunk, valid only once every append below has succeeded. */
  readonly entry: SkuEntry;
  readonly replies: ReadonlyArray<Reply>;
  readonly streamId: string;
  /** Consecutive appends, each expecting the tip the one before leaves. */
  readonly appends: ReadonlyArray<{ readonly before: ChainTip | null; readonly events: EventEnvelope[] }>;
  readonly appended: number;
}

/**
 * Decide one chunk of one SKU's commands, in queue order, and append the events with the expected
 * revision. Commands at or below the SKU's last written queue position (redeliveries after a crash, or
 * commands another handler already decided) are not decided again: their recorded outcome is returned
 * instead. A `WrongExpectedRevision` Left means another writer moved the stream: reload and call again.
 */
export const decideChunk = async (
  deps: ChunkDeps,
  entry: SkuEntry,
  items: ReadonlyArray<QueuedItem>,
): Promise<E.Either<ChunkError | PreviousAppendFailed, ChunkResult>> => {
  const prepared = await prepareChunk(deps, entry, items);
  return E.isLeft(prepared) ? prepared : appendChunk(deps, prepared.right);
};

/** A chunk decided against the chunk before it, whose append failed: this one is not written either. */
export interface PreviousAppendFailed {
  readonly _tag: "PreviousAppendFailed";
}
export const PREVIOUS_APPEND_FAILED: PreviousAppendFailed = { _tag: "PreviousAppendFailed" };

/**
 * Write a prepared chunk: one append, or several when lapsed holds made it larger than one may be.
 *
 * `previous` is the append of the chunk this one was decided after, when it may still be in flight
 * (resolving true once it succeeded): this chunk's append is sent at once, fenced by its expected
 * revision, the tip `previous` leaves. If it reaches the store first, it is refused as a conflict;
 * then it waits for `previous` and, if that succeeded, sends the same append once more (a refusal
 * then is a real conflict). If `previous` failed, this chunk is `PreviousAppendFailed`: its expected
 * revision was never reached, so it cannot have been written.
 */
export const appendChunk = async (
  deps: Pick<ChunkDeps, "store">,
  prepared: PreparedChunk,
  previous: Promise<boolean> = Promise.resolve(true),
): Promise<E.Either<StoreError | PreviousAppendFailed, ChunkResult>> => {
  for (let i = 0; i < prepared.appends.length; i++) {
    const a = prepared.appends[i]!;
    const send = deps.store.append(prepared.streamId, expectTip(a.before), a.events);
    let r = await send();
    if (i === 0 && E.isLeft(r) && r.left._tag === "WrongExpectedRevision") {
      if (!(await previous)) return E.left(PREVIOUS_APPEND_FAILED);
      r = await send();
    }
    if (E.isLeft(r)) return r;
  }
  return E.right({ entry: prepared.entry, replies: prepared.replies, appended: prepared.appended });
};

/**
 * Decide one chunk against `entry` without writing anything (see `PreparedChunk`). `entry.outcomes` is
 * extended in place with the chunk's answers: whoever holds the entry must drop it (reload the SKU) if
 * the chunk's append fails, as the handler does on every failed append.
 */
export const prepareChunk = async (
  deps: ChunkDeps,
  entry: SkuEntry,
  items: ReadonlyArray<QueuedItem>,
): Promise<E.Either<OutcomeStoreError, PreparedChunk>> => {
  const decidedAt = deps.now().toISOString();
  const streamId = streamIdOf(entry.skuId);
  const fresh: QueuedItem[] = [];
  const replies: Array<Reply | null> = [];
  const freshSlots: number[] = [];
  for (const item of items) {
    const r = item.position <= entry.lastQueuePosition ? await recorded(deps, entry, item) : E.right(null);
    if (E.isLeft(r)) return r;
    const known = r.right;
    if (known !== null) replies.push({ outcome: known, replyTo: item.queued.replyTo });
    else {
      freshSlots.push(replies.length);
      replies.push(null);
      fresh.push(item);
    }
  }
  if (fresh.length === 0)
    return E.right({ entry, replies: replies as Reply[], streamId, appends: [], appended: 0 });

  const commands: SkuCommand[] = new Array(fresh.length);
  for (let i = 0; i < fresh.length; i++) commands[i] = commandOf(fresh[i]!.queued, decidedAt);
  const batch = decideBatch(entry.state, commands);
  const drafts: EventDraft[] = [];
  const spans: Array<{ from: number; to: number }> = [];
  batch.outcomes.forEach((o, i) => {
    const item = fresh[i]!;
    const from = drafts.length;
    if (E.isRight(o))
      for (const event of o.right)
        drafts.push({
          eventId: deps.newId(),
          event,
          occurredAt: decidedAt,
          requestId: item.queued.requestId,
          correlationId: item.queued.correlationId,
          causationId: item.queued.requestId,
          queuePosition: item.position,
        });
    spans.push({ from, to: drafts.length });
  });

  const sealed = sealEvents(streamId, entry.tip, drafts);
  // One append per chunk, unless lapsed holds made it larger than one append may be: then consecutive
  // appends, each with the expected revision of the one before (a crash between them leaves whole
  // commands' expiries written, which a redelivery recognises and decides after).
  const appends: Array<{ before: ChainTip | null; events: EventEnvelope[] }> = [];
  for (let from = 0; from < sealed.length; from += APPEND_SLICE)
    appends.push({
      before: from === 0 ? entry.tip : sealed[from - 1]!,
      events: sealed.length <= APPEND_SLICE ? sealed : sealed.slice(from, from + APPEND_SLICE),
    });
  const last = sealed[sealed.length - 1];
  const tip = last === undefined ? entry.tip : { revision: last.revision, hash: last.hash };
  const tipRevision = tip === null ? null : tip.revision;
  // Mutated in place: safe, because a failed append drops the entry (the handler reloads the SKU).
  const outcomes = entry.outcomes;
  let lastQueuePosition = entry.lastQueuePosition;
  for (let i = 0; i < fresh.length; i++) {
    const item = fresh[i]!;
    const o = batch.outcomes[i]!;
    const span = spans[i]!;
    const ctx = { requestId: item.queued.requestId, skuId: entry.skuId, decidedAt };
    let outcome: Outcome;
    if (E.isRight(o)) {
      const answer = o.right[o.right.length - 1];
      outcome =
        answer === undefined
          ? ({
              ...ctx,
              userId: userOf(item.queued),
              revision: tipRevision,
              status: "accepted",
              // A repeated close changes nothing, yet its answer keeps API.md's shape.
              result: item.queued.command.type === "CloseSale" ? { kind: "closed" } : { kind: "done" },
            } as Outcome)
          : outcomeFromEvent(ctx, answer, sealed[span.to - 1]!.revision);
      if (span.to > span.from) lastQueuePosition = Math.max(lastQueuePosition, item.position);
    } else outcome = await refusal(deps, entry, item, o.left, tipRevision, decidedAt);
    rememberOutcome(outcomes, outcome);
    replies[freshSlots[i]!] = { outcome, replyTo: item.queued.replyTo };
  }
  return E.right({
    entry: { skuId: entry.skuId, state: batch.state, tip, lastQueuePosition, outcomes },
    replies: replies as Reply[],
    streamId,
    appends,
    appended: sealed.length,
  });
};

/**
 * The command to decide: the queued body with its request id and the chunk's clock reading. The two
 * commands that make up a sale's load are written out field by field (a spread copies generically, and
 * it was one of `prepareChunk`'s larger costs); `decide` reads no other field of them.
 */
const commandOf = (q: QueuedCommand, now: string): SkuCommand => {
  const c = q.command;
  switch (c.type) {
    case "PlaceReservation":
      return {
        type: c.type,
        reservationId: c.reservationId,
        userId: c.userId,
        quantity: c.quantity,
        allowPartial: c.allowPartial,
        requestId: q.requestId,
        now,
      };
    case "CancelReservation":
      return { type: c.type, reservationId: c.reservationId, userId: c.userId, requestId: q.requestId, now };
    default:
      return { ...c, requestId: q.requestId, now };
  }
};

/** The recorded outcome of a command already decided, or null when none is known (decide it again). */
const recorded = async (
  deps: ChunkDeps,
  entry: SkuEntry,
  item: QueuedItem,
): Promise<E.Either<OutcomeStoreError, Outcome | null>> => {
  const hit = entry.outcomes.get(item.queued.requestId);
  return hit !== undefined ? E.right(hit) : deps.recordedOutcome(item.queued.requestId);
};

const refusal = async (
  deps: ChunkDeps,
  entry: SkuEntry,
  item: QueuedItem,
  error: DomainError,
  tipRevision: number | null,
  decidedAt: string,
): Promise<Outcome> => {
  const ctx = { requestId: item.queued.requestId, skuId: entry.skuId, decidedAt };
  if (error._tag === "RequestAlreadyDecided") {
    // Same requestId enqueued twice (a retried enqueue): the first decision stands.
    // Unreadable (Redis down) is treated as unknown: the request was decided, the answer below says so.
    const known = E.getOrElseW(() => null)(await recorded(deps, entry, item));
    if (known !== null) return known;
    return {
      ...ctx,
      userId: userOf(item.queued),
      revision: tipRevision,
      status: "accepted",
      result: { kind: "done" },
    } as Outcome;
  }
  return outcomeFromError(ctx, error, userOf(item.queued), tipRevision);
};
