import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type DomainError, decide, foldEvents, type SkuState } from "../../../domain/sku/index.ts";
import {
  type DecodedEvent,
  decodeEvent,
  type EventDraft,
  type QueuedCommand,
  sealEvents,
  streamIdOf,
} from "../../../event-schemas/index.ts";
import { type EventStore, expectTip, type StoreError } from "../../../infra/event-store/port.ts";
import type { CommandQueue } from "../../../infra/command-queue/port.ts";

export type DirectSinkError =
  | StoreError
  | { readonly _tag: "UndecodableStream"; readonly streamId: string; readonly message: string };

/** The decision for one command: the events appended, or the domain's refusal. */
export type DirectDecision =
  | { readonly _tag: "Appended"; readonly events: number; readonly revision: number }
  | { readonly _tag: "Refused"; readonly error: DomainError };

/**
 * TEST HARNESS ONLY — not the command path. It stands in for the command queue + serialized handler
 * where Kafka is not part of the test: each command is decided at once against the SKU's folded stream
 * (`decide` from the domain; the state is cached per SKU like the handler's), sealed (`sealEvents`) and
 * appended with the expected revision, reloading and retrying when another writer moved the stream. Commands of one SKU are serialized inside the harness. `state(skuId)` folds the
 * stream so tests can check what the domain says (a unit released, an order confirmed).
 */
export interface DirectAppendSink extends CommandQueue {
  /** Decide and append one command, answering what was decided (`enqueue` answers only where it went). */
  decide(command: QueuedCommand): TE.TaskEither<DirectSinkError, DirectDecision>;
  state(skuId: string): Promise<SkuState>;
}

export const makeDirectAppendSink = (
  store: EventStore,
  opts: { readonly now?: () => Date } = {},
): DirectAppendSink => {
  const now = opts.now ?? (() => new Date());
  const chains = new Map<string, Promise<unknown>>();

  const load = async (
    streamId: string,
  ): Promise<
    E.Either<DirectSinkError, { state: SkuState; tip: { revision: number; hash: string } | null }>
  > => {
    const r = await store.readStream(streamId)();
    if (E.isLeft(r)) return r;
    const decoded: DecodedEvent[] = [];
    for (const rec of r.right) {
      const d = decodeEvent(rec.envelope);
      if (E.isLeft(d))
        return E.left({ _tag: "UndecodableStream", streamId, message: JSON.stringify(d.left) });
      decoded.push(d.right);
    }
    const last = r.right[r.right.length - 1];
    return E.right({
      state: foldEvents(decoded),
      tip: last === undefined ? null : { revision: last.envelope.revision, hash: last.envelope.hash },
    });
  };

  // Folded state per SKU, as the real handler caches it; dropped when an append finds the stream moved
  // (another writer, e.g. a saga in a child process with its own harness).
  const cache = new Map<string, { state: SkuState; tip: { revision: number; hash: string } | null }>();

  const decideAndAppend = async (q: QueuedCommand): Promise<E.Either<DirectSinkError, DirectDecision>> => {
    const streamId = streamIdOf(q.skuId);
    for (;;) {
      let entry = cache.get(streamId);
      if (entry === undefined) {
        const loaded = await load(streamId);
        if (E.isLeft(loaded)) return loaded;
        entry = loaded.right;
        cache.set(streamId, entry);
      }
      const { state, tip } = entry;
      const at = now().toISOString();
      const decision = decide({ ...q.command, requestId: q.requestId, now: at }, state);
      if (E.isLeft(decision)) return E.right({ _tag: "Refused", error: decision.left });
      if (decision.right.length === 0)
        return E.right({ _tag: "Appended", events: 0, revision: tip?.revision ?? -1 });
      const queuePosition = (tip?.revision ?? -1) + 1;
      const drafts: EventDraft[] = decision.right.map((event) => ({
        eventId: randomUUID(),
        event,
        occurredAt: at,
        requestId: q.requestId,
        correlationId: q.correlationId,
        causationId: q.causationId,
        queuePosition,
      }));
      const sealed = sealEvents(streamId, tip, drafts);
      const appended = await store.append(streamId, expectTip(tip), sealed)();
      if (E.isRight(appended)) {
        const last = sealed[sealed.length - 1]!;
        cache.set(streamId, {
          state: foldEvents(
            decision.right.map((event) => ({ event, requestId: q.requestId })),
            state,
          ),
          tip: { revision: last.revision, hash: last.hash },
        });
        return E.right({ _tag: "Appended", events: drafts.length, revision: appended.right.revision });
      }
      cache.delete(streamId);
      if (appended.left._tag !== "WrongExpectedRevision") return appended;
    }
  };

  const decideInTurn = (q: QueuedCommand) => () => {
    const previous = chains.get(q.skuId) ?? Promise.resolve();
    const next = previous.then(() => decideAndAppend(q));
    chains.set(
      q.skuId,
      next.catch(() => undefined),
    );
    return next;
  };

  return {
    decide: decideInTurn,
    // As the command queue answers: where the command went (the stream's revision stands in for the
    // offset), or QueueUnavailable when it could not be appended.
    enqueue: (q) => async () => {
      const r = await decideInTurn(q)();
      if (E.isLeft(r)) return E.left({ _tag: "QueueUnavailable", message: JSON.stringify(r.left) });
      return E.right({ partition: 0, offset: String(r.right._tag === "Appended" ? r.right.revision : -1) });
    },
    state: async (skuId) => {
      const loaded = await load(streamIdOf(skuId));
      if (E.isLeft(loaded)) throw new Error(`cannot fold ${skuId}: ${JSON.stringify(loaded.left)}`);
      return loaded.right.state;
    },
  };
};
