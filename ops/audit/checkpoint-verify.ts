import * as E from "fp-ts/lib/Either.js";
import type { ChainTip } from "../../event-schemas/index.ts";
import type { EventStore, RecordedEvent, StoreError } from "../../infra/event-store/port.ts";
import { chainWalker } from "./chain-walk.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { forEachPage } from "./stream-source.ts";
import type { Violation } from "./violation.ts";

export interface ChainReport {
  readonly streamId: string;
  readonly events: number;
  readonly tip: ChainTip | null;
  /** The hash found at the revision asked for (null when the stream does not reach it). */
  readonly hashAt: string | null;
  readonly violations: ReadonlyArray<Violation>;
}

/**
 * Walk one stream's chain (revisions, links, hashes), optionally only up to `to`, and note the hash at
 * revision `at`. The shared core of `audit checkpoint`, `audit verify --checkpoint` and `audit prove`.
 */
export const walkChain = async (
  store: EventStore,
  streamId: string,
  opts: { readonly at?: number; readonly to?: number; readonly onEvent?: (e: RecordedEvent) => void } = {},
): Promise<E.Either<StoreError, ChainReport>> => {
  const walker = chainWalker(streamId);
  const violations: Violation[] = [];
  let events = 0;
  let hashAt: string | null = null;
  const r = await forEachPage(
    store,
    streamId,
    (items) => {
      for (const it of items) {
        events += 1;
        const issues =
          it._tag === "Unreadable"
            ? walker.unreadable(it.revision, it.message)
            : walker.push(it.recorded.envelope);
        for (const i of issues) if (violations.length < 100) violations.push({ streamId, ...i });
        if (it._tag === "Event") {
          if (it.recorded.envelope.revision === opts.at) hashAt = it.recorded.envelope.hash;
          opts.onEvent?.(it.recorded);
        }
      }
      return true;
    },
    opts.to === undefined ? {} : { to: opts.to },
  );
  if (E.isLeft(r)) return r;
  return E.right({ streamId, events, tip: walker.tip(), hashAt, violations });
};

export interface CheckpointReport extends ChainReport {
  readonly checkpoint: Checkpoint;
  readonly ok: boolean;
}

/**
 * `holdfast audit verify --checkpoint FILE`: the stream still extends the checkpoint unchanged — its
 * chain is intact from genesis, the event at the checkpoint's revision still has the signed hash, and
 * every later event links on. (The signature itself is checked by the caller with the public key.)
 */
export const verifyCheckpoint = async (
  store: EventStore,
  checkpoint: Checkpoint,
): Promise<E.Either<StoreError, CheckpointReport>> => {
  const r = await walkChain(store, checkpoint.streamId, { at: checkpoint.revision });
  if (E.isLeft(r)) return r;
  const extra: Violation[] = [];
  const { streamId, revision } = checkpoint;
  if (r.right.hashAt === null)
    extra.push({
      streamId,
      revision,
      rule: "checkpoint/missing",
      message: `the stream has no readable revision ${revision} (it ends at ${r.right.tip?.revision ?? "nothing"}): events were removed`,
    });
  else if (r.right.hashAt !== checkpoint.hash)
    extra.push({
      streamId,
      revision,
      rule: "checkpoint/diverged",
      message: `revision ${revision} now hashes to ${r.right.hashAt}, the checkpoint signed ${checkpoint.hash}: history up to revision ${revision} was rewritten`,
    });
  const violations = [...r.right.violations, ...extra];
  return E.right({ ...r.right, violations, checkpoint, ok: violations.length === 0 });
};
