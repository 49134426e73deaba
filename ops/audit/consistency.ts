import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import {
  type Checkpoint,
  checkpointSignatureValid,
  Count,
  describeDecodeErrors,
  fromHex,
  isTreeHead,
  type MerkleTree,
  Sha256Hex,
  type TreeHead,
  toHex,
  verifyConsistency,
} from "../../event-schemas/index.ts";

/**
 * A saved RFC 9162 consistency proof between two tree sizes of one stream: with it, anyone can check
 * offline, with no database, that the tree of `size2` leaves with `root2` keeps the tree of `size1`
 * leaves with `root1` as its unchanged prefix. Nodes are hex, nearest the old tree first.
 */
export const CONSISTENCY_FORMAT = "holdfast-consistency/1";
export const ConsistencyProof = t.type({
  format: t.literal(CONSISTENCY_FORMAT),
  streamId: t.string,
  size1: Count,
  size2: Count,
  root1: Sha256Hex,
  root2: Sha256Hex,
  proof: t.array(Sha256Hex),
});
export type ConsistencyProof = t.TypeOf<typeof ConsistencyProof>;

/** The proof from the first `size1` leaves of `tree` to its first `size2` (default all). */
export const consistencyProofOf = (
  streamId: string,
  tree: MerkleTree,
  size1: number,
  size2 = tree.size,
): ConsistencyProof => ({
  format: CONSISTENCY_FORMAT,
  streamId,
  size1,
  size2,
  root1: toHex(tree.root(size1)) as Sha256Hex,
  root2: toHex(tree.root(size2)) as Sha256Hex,
  proof: tree.consistencyProof(size1, size2).map((d) => toHex(d) as Sha256Hex),
});

export const decodeConsistencyProof = (raw: unknown): E.Either<string, ConsistencyProof> => {
  const d = ConsistencyProof.decode(raw);
  return E.isLeft(d) ? E.left(`not a ${CONSISTENCY_FORMAT} proof: ${describeDecodeErrors(d.left, 2)}`) : d;
};

/** What `audit consistency` concludes: NEW extends OLD, or why not. */
export type ConsistencyVerdict =
  | { readonly _tag: "Extends"; readonly streamId: string; readonly size1: number; readonly size2: number }
  | { readonly _tag: "DoesNotExtend"; readonly reason: string };

/** Why the question cannot be asked (exit 2, not 1). */
export type ConsistencyUnanswerable = { readonly _tag: "Unanswerable"; readonly reason: string };

const doesNot = (reason: string): E.Either<never, ConsistencyVerdict> =>
  E.right({ _tag: "DoesNotExtend", reason });

/**
 * Does head `next` extend head `prev`? Both signatures under `publicPem`, one stream, and `proof` (for
 * exactly their sizes and roots) verifying by RFC 9162 §2.1.4.2. A head whose signature fails, or a
 * proof that does not verify, is "does not extend" (exit 1); heads without a tree, of two streams or a
 * bad key are unanswerable (exit 2).
 */
export const judgeConsistency = (
  prev: Checkpoint,
  next: Checkpoint,
  proof: ConsistencyProof | null,
  publicPem: string,
): E.Either<ConsistencyUnanswerable, ConsistencyVerdict> => {
  const unanswerable = (reason: string) =>
    E.left({ _tag: "Unanswerable", reason }) as E.Either<ConsistencyUnanswerable, never>;
  if (!isTreeHead(prev) || !isTreeHead(next))
    return unanswerable(
      "both checkpoints must be tree heads (with size and root); sign new ones with `audit checkpoint`",
    );
  if (prev.streamId !== next.streamId)
    return unanswerable(`the heads are of two streams (${prev.streamId}, ${next.streamId})`);
  for (const [name, h] of [
    ["OLD", prev],
    ["NEW", next],
  ] as const) {
    const v = checkpointSignatureValid(h, publicPem);
    if (E.isLeft(v)) return unanswerable(v.left.message);
    if (!v.right) return doesNot(`${name}'s signature does not verify under this public key`);
  }
  if (next.size < prev.size)
    return doesNot(`NEW has ${next.size} events, fewer than OLD's ${prev.size}: events were removed`);
  if (next.size === prev.size)
    return next.root === prev.root && next.hash === prev.hash
      ? E.right({ _tag: "Extends", streamId: next.streamId, size1: prev.size, size2: next.size })
      : doesNot(`two different roots for the same ${prev.size} events: the history was rewritten`);
  if (proof === null) return unanswerable("no consistency proof");
  if (proof.streamId !== prev.streamId || proof.size1 !== prev.size || proof.size2 !== next.size)
    return unanswerable(
      `the proof is for ${proof.streamId} from ${proof.size1} to ${proof.size2} events, not ${prev.streamId} from ${prev.size} to ${next.size}`,
    );
  const r = verifyConsistency(
    prev.size,
    next.size,
    fromHex(prev.root),
    fromHex(next.root),
    proof.proof.map(fromHex),
  );
  return E.isRight(r)
    ? E.right({ _tag: "Extends", streamId: next.streamId, size1: prev.size, size2: next.size })
    : doesNot(r.left.message);
};

/** The heads as tree heads, for callers that checked `isTreeHead`. */
export type { TreeHead };
