import * as E from "fp-ts/lib/Either.js";
import {
  type Checkpoint,
  type Cosignature,
  checkpointSignatureValid,
  cosign,
  fromHex,
  GENESIS_HASH,
  isTreeHead,
  MerkleTree,
  type TreeHead,
  toHex,
  verifyConsistency,
} from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";

/** What a witness made of one head. */
export type WitnessVerdict =
  | { readonly _tag: "Cosigned"; readonly cosignature: Cosignature; readonly previous: TreeHead | null }
  | { readonly _tag: "Ignored"; readonly reason: string }
  | {
      readonly _tag: "Alarm";
      readonly head: TreeHead;
      readonly previous: TreeHead | null;
      readonly reason: string;
    };

interface Cached {
  readonly tree: MerkleTree;
  lastHash: string;
}

/**
 * A witness: it co-signs a tree head only after checking that it extends the last head of the same
 * stream it co-signed, with an RFC 9162 consistency proof it verifies itself against the two signed
 * roots.
 *
 * Where the proof comes from: the witness computes it from the log (read-only database access), keeping
 * each stream's tree in memory and reading only the events it has not seen, each checked to link onto
 * the last one it has; so the operator cannot hand it a convenient proof, and it never trusts the log
 * either: a proof from a rewritten log does not lead to the old signed root, and a link that breaks
 * under its cached tree is itself proof of a rewrite. Either way: an alarm, never a co-signature.
 *
 * The first head of a stream it has never seen is checked against the log's tree (trust on first use).
 */
export class Witness {
  private readonly trees = new Map<string, Cached>();

  constructor(
    private readonly store: EventStore,
    private readonly operatorPem: string,
    private readonly witnessPem: string,
    /** The last head co-signed per stream (persisted by the caller between runs). */
    readonly lastSeen: Map<string, TreeHead> = new Map(),
  ) {}

  async observe(head: Checkpoint): Promise<WitnessVerdict> {
    if (!isTreeHead(head))
      return { _tag: "Ignored", reason: `${head.streamId}: a checkpoint without a tree` };
    const sig = checkpointSignatureValid(head, this.operatorPem);
    if (E.isLeft(sig)) throw new Error(sig.left.message);
    if (!sig.right)
      return {
        _tag: "Ignored",
        reason: `${head.streamId} r${head.revision}: not signed by the operator's key`,
      };
    const previous = this.lastSeen.get(head.streamId) ?? null;
    const alarm = (reason: string): WitnessVerdict => ({ _tag: "Alarm", head, previous, reason });
    if (previous !== null && head.size < previous.size)
      return alarm(
        `the head signs ${head.size} events, fewer than the ${previous.size} of the last head co-signed: events were removed`,
      );
    const grown = await this.extend(head.streamId, head.size);
    if (grown !== null) return alarm(grown);
    const tree = this.trees.get(head.streamId)!.tree;
    if (tree.size < head.size)
      return alarm(`the head signs ${head.size} events; the log has only ${tree.size}`);
    if (previous === null) {
      if (toHex(tree.root(head.size)) !== head.root)
        return alarm(
          `the head's root ${head.root} is not the log's tree over ${head.size} events (${toHex(tree.root(head.size))})`,
        );
    } else if (previous.size === head.size) {
      if (previous.root !== head.root) return alarm(`two different roots for the same ${head.size} events`);
    } else {
      const proof = tree.consistencyProof(previous.size, head.size);
      const ok = verifyConsistency(
        previous.size,
        head.size,
        fromHex(previous.root),
        fromHex(head.root),
        proof,
      );
      if (E.isLeft(ok))
        return alarm(
          `the head does not extend the last one co-signed (${previous.size} events): ${ok.left.message}`,
        );
    }
    const c = cosign(head, this.witnessPem);
    if (E.isLeft(c)) throw new Error(c.left.message);
    this.lastSeen.set(head.streamId, head);
    return { _tag: "Cosigned", cosignature: c.right, previous };
  }

  /** Read the stream's events the cached tree lacks, up to `size`; a reason when the log broke under it. */
  private async extend(streamId: string, size: number): Promise<string | null> {
    let c = this.trees.get(streamId);
    if (c === undefined) {
      c = { tree: new MerkleTree(), lastHash: GENESIS_HASH };
      this.trees.set(streamId, c);
    }
    while (c.tree.size < size) {
      const from = c.tree.size;
      const page = await this.store.readStream(streamId, { from, limit: Math.min(1000, size - from) })();
      if (E.isLeft(page)) return `the log cannot be read at r${from}: ${page.left._tag}`;
      if (page.right.length === 0) return null;
      for (const { envelope: e } of page.right) {
        if (e.revision !== c.tree.size) return `the log skips from r${c.tree.size - 1} to r${e.revision}`;
        if (e.prevHash !== c.lastHash)
          return `r${e.revision} no longer links onto r${e.revision - 1} as the witness read it: the log was rewritten below r${e.revision}`;
        c.tree.appendEventHash(e.hash);
        c.lastHash = e.hash;
      }
    }
    return null;
  }
}
