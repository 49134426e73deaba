import * as E from "fp-ts/lib/Either.js";
import { toHex } from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import type { ChainReport } from "./walk-chain.ts";
import { type Checkpoint, isTreeHead } from "./checkpoint.ts";
import { type ConsistencyProof, consistencyProofOf } from "./consistency.ts";
import { streamTree } from "./stream-tree.ts";
import type { Violation } from "./violation.ts";

export interface CheckpointReport extends ChainReport {
  readonly checkpoint: Checkpoint;
  readonly ok: boolean;
  /** For a tree head the stream still extends: the RFC 9162 consistency proof from it to the stream now. */
  readonly consistency: ConsistencyProof | null;
}

/**
 * `holdfast audit verify --checkpoint FILE`: the stream still extends the checkpoint unchanged. For a
 * tree head: the Merkle tree over the stored events' hashes has the signed root at the signed size and
 * the signed hash at its revision, the chain is intact, and the report carries the consistency proof
 * from the head to the stream's current tree (anyone can check it offline with `audit consistency`).
 * For an old checkpoint without a tree: the event at its revision still has the signed hash.
 * (The signature itself is checked by the caller with the public key.)
 */
export const verifyCheckpoint = async (
  store: EventStore,
  checkpoint: Checkpoint,
): Promise<E.Either<StoreError, CheckpointReport>> => {
  let hashAt: string | null = null;
  const r = await streamTree(store, checkpoint.streamId, {
    onEvent: ({ envelope }) => {
      if (envelope.revision === checkpoint.revision) hashAt = envelope.hash;
    },
  });
  if (E.isLeft(r)) return r;
  const { tree } = r.right;
  const extra: Violation[] = [];
  const { streamId, revision } = checkpoint;
  let consistency: ConsistencyProof | null = null;
  if (hashAt === null || tree.size <= revision)
    extra.push({
      streamId,
      revision,
      rule: "checkpoint/missing",
      message: `the stream has no readable revision ${revision} (it ends at ${r.right.tip?.revision ?? "nothing"}): events were removed`,
    });
  else if (isTreeHead(checkpoint) && toHex(tree.root(checkpoint.size)) !== checkpoint.root)
    extra.push({
      streamId,
      revision,
      rule: "checkpoint/diverged",
      message: `the Merkle tree over revisions 0…${revision} now has root ${toHex(tree.root(checkpoint.size))}, the head signed ${checkpoint.root}: history up to revision ${revision} was rewritten`,
    });
  else if (hashAt !== checkpoint.hash)
    extra.push({
      streamId,
      revision,
      rule: "checkpoint/diverged",
      message: `revision ${revision} now hashes to ${hashAt}, the checkpoint signed ${checkpoint.hash}: history up to revision ${revision} was rewritten`,
    });
  else if (isTreeHead(checkpoint)) consistency = consistencyProofOf(streamId, tree, checkpoint.size);
  const violations = [...r.right.violations, ...extra];
  return E.right({
    streamId,
    events: tree.size,
    tip: r.right.tip,
    hashAt,
    violations,
    checkpoint,
    ok: violations.length === 0,
    consistency,
  });
};
