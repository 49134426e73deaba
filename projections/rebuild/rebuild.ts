import * as E from "fp-ts/lib/Either.js";
import type { EventStore, GlobalPosition, StoredEvent } from "../../infra/event-store/port.ts";
import { applyProjected, DEFAULT_RETRY } from "../runtime/apply.ts";
import { describeStoreError, projectStoredPage } from "../runtime/project-stored.ts";
import type { ProjectedEvent, Projection } from "../runtime/projection.ts";
import type { PagePreparer, PreparedProjection } from "./prepare.ts";

/** One rebuildable read model: how to make a generation beside the live one, fill it, swap it in. */
export interface RebuildTarget {
  readonly name: string;
  createGeneration(): Promise<string>;
  projection(generation: string): Projection;
  /** Swap atomically when caught up with the live generation; drops the old one after the swap. */
  swap(
    generation: string,
  ): Promise<{ readonly _tag: "Swapped"; readonly previous: string | null } | { readonly _tag: "Behind" }>;
  /** Remove a generation that will not be swapped in (a failed rebuild). */
  drop(generation: string): Promise<void>;
  /**
   * Optional: a batch's writes as one text prepared from its events alone (prepare.ts, which a worker
   * thread can run), and how a generation takes that text; `false` sends the batch down the usual road
   * (decoded here, `projection(generation).applyBatch` with the runtime's retries).
   */
  readonly prepared?: {
    readonly name: PreparedProjection;
    apply(generation: string, batchText: string, position: GlobalPosition): Promise<boolean>;
  };
}

export interface RebuildProgress {
  readonly events: number;
  /** Position reached, and the head position when the rebuild started (positions are not counts). */
  readonly position: GlobalPosition | null;
  readonly startHead: GlobalPosition | null;
  readonly phase: "building" | "catching-up" | "swapping";
}

export type RebuildResult =
  | {
      readonly _tag: "Swapped";
      readonly generation: string;
      readonly previous: string | null;
      readonly events: number;
    }
  | { readonly _tag: "Failed"; readonly generation: string; readonly reason: string };

/**
 * Rebuild a read model from the log with no downtime: fill a new generation beside the live one from the
 * start of the feed, in large batches, while the live projector keeps serving; once at the head, try to
 * swap (which succeeds only if the new generation is at least as far as the live one, checked
 * atomically with the swap); if writes arrived meanwhile, catch up and try again. On failure the new
 * generation is dropped and the live one is untouched.
 */
export const rebuildProjection = async (deps: {
  readonly store: EventStore;
  readonly target: RebuildTarget;
  readonly batchSize?: number;
  readonly onProgress?: (p: RebuildProgress) => void;
  readonly maxSwapAttempts?: number;
  /**
   * Decodes and prepares the pages elsewhere (prepare.ts, `workerPreparer`: a worker thread) when the
   * target has a prepared form; without it everything runs on this thread. The caller closes it.
   */
  readonly preparer?: PagePreparer;
}): Promise<RebuildResult> => {
  const { store, target } = deps;
  const preparer = target.prepared === undefined ? null : (deps.preparer ?? null);
  const batchSize = deps.batchSize ?? 2000;
  const generation = await target.createGeneration();
  const projection = target.projection(generation);
  const head = await store.headPosition()();
  const startHead = E.isRight(head) ? head.right : null;
  let position: GlobalPosition | null = null;
  let events = 0;
  let phase: RebuildProgress["phase"] = "building";
  const fail = async (reason: string): Promise<RebuildResult> => {
    await target.drop(generation).catch(() => {});
    return { _tag: "Failed", generation, reason };
  };
  const applied = (page: ReadonlyArray<StoredEvent>) => {
    position = page[page.length - 1]!.position;
    events += page.length;
    deps.onProgress?.({ events, position, startHead, phase });
  };
  // Apply one verified page: from its prepared text when there is one and the target takes it, else its
  // events (decoded already, or now); the reason when it cannot.
  const apply = async (
    page: ReadonlyArray<StoredEvent>,
    next: { readonly prepared: Promise<string | null> } | { readonly decoded: ReadonlyArray<ProjectedEvent> },
  ): Promise<string | null> => {
    const last = page[page.length - 1]!.position;
    if ("prepared" in next) {
      const text = await next.prepared;
      if (text !== null && (await target.prepared!.apply(generation, text, last))) {
        applied(page);
        return null;
      }
    }
    const batch = "decoded" in next ? E.right(next.decoded) : projectStoredPage(page);
    if (E.isLeft(batch)) return batch.left;
    const outcome = await applyProjected(projection, batch.right, DEFAULT_RETRY);
    if (outcome._tag !== "Applied")
      return outcome._tag === "Parked"
        ? `parked at ${outcome.event.position}: ${outcome.reason}`
        : "superseded";
    applied(page);
    return null;
  };
  // Apply the feed after `position` up to the head as it is read; the reason when it cannot. Three things
  // overlap: the database reads page k+2 (pages come one read ahead, verified), page k+1 is decoded (on
  // the worker thread when there is one, else here), the target writes batch k. Batches are still
  // applied one after the other, in feed order.
  const catchUp = async (): Promise<string | null> => {
    let applying: Promise<string | null> = Promise.resolve(null);
    for await (const page of store.readAllStoredPages(position, batchSize, "sku-")) {
      const rows = E.isLeft(page) ? [] : page.right;
      const next =
        rows.length === 0
          ? null
          : preparer !== null
            ? E.right({ prepared: preparer.prepare(rows) })
            : E.map((decoded: ReadonlyArray<ProjectedEvent>) => ({ decoded }))(projectStoredPage(rows));
      const failed = await applying;
      if (failed !== null) return failed;
      if (E.isLeft(page)) return `reading the log failed: ${describeStoreError(page.left)}`;
      if (next === null) continue;
      if (E.isLeft(next)) return next.left;
      // Caught at once: it settles while the next page is read, before anything awaits it.
      applying = apply(rows, next.right).catch((e: unknown) => `applying failed: ${String(e)}`);
    }
    return applying;
  };
  for (let attempt = 0; attempt < (deps.maxSwapAttempts ?? 200); attempt += 1) {
    // A short page means the head was reached when it was read: under steady writes the feed is never
    // empty, so that is the moment to try the swap, not an empty read.
    const failed = await catchUp();
    if (failed !== null) return fail(failed);
    phase = "swapping";
    deps.onProgress?.({ events, position, startHead, phase });
    const swapped = await target.swap(generation);
    if (swapped._tag === "Swapped")
      return { _tag: "Swapped", generation, previous: swapped.previous, events };
    phase = "catching-up";
  }
  return fail("could not catch up with the live generation");
};
