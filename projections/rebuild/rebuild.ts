import * as E from "fp-ts/lib/Either.js";
import type { EventStore, GlobalPosition } from "../../infra/event-store/port.ts";
import { applyRecorded, DEFAULT_RETRY } from "../runtime/apply.ts";
import type { Projection } from "../runtime/projection.ts";

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
}): Promise<RebuildResult> => {
  const { store, target } = deps;
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
  // Prefetch the next batch while the current one is applied: reading and writing overlap.
  const read = (after: GlobalPosition | null) => store.readAll(after, batchSize, "sku-")();
  let next = read(position);
  for (let attempt = 0; attempt < (deps.maxSwapAttempts ?? 200); ) {
    const batch = await next;
    if (E.isLeft(batch)) return fail(`reading the log failed: ${JSON.stringify(batch.left)}`);
    if (batch.right.length > 0) {
      const last = batch.right[batch.right.length - 1]!;
      next = read(last.position);
      const outcome = await applyRecorded(projection, batch.right, DEFAULT_RETRY);
      if (outcome._tag !== "Applied")
        return fail(
          outcome._tag === "Parked" ? `parked at ${outcome.event.position}: ${outcome.reason}` : "superseded",
        );
      position = last.position;
      events += batch.right.length;
      deps.onProgress?.({ events, position, startHead, phase });
      // A short batch means the head was reached when it was read: under steady writes the feed is never
      // empty, so that is the moment to try the swap, not an empty read.
      if (batch.right.length === batchSize) continue;
    }
    phase = "swapping";
    deps.onProgress?.({ events, position, startHead, phase });
    const swapped = await target.swap(generation);
    if (swapped._tag === "Swapped")
      return { _tag: "Swapped", generation, previous: swapped.previous, events };
    attempt += 1;
    phase = "catching-up";
    next = read(position);
  }
  return fail("could not catch up with the live generation");
};
