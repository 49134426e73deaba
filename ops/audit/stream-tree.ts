import * as E from "fp-ts/lib/Either.js";
import { type ChainTip, MerkleTree } from "../../event-schemas/index.ts";
import type { EventStore, RecordedEvent, StoreError } from "../../infra/event-store/port.ts";
import { walkChain } from "./walk-chain.ts";
import type { Violation } from "./violation.ts";

export interface StreamTree {
  readonly streamId: string;
  /** The Merkle tree over the stream's event hashes, revision 0 first. */
  readonly tree: MerkleTree;
  readonly tip: ChainTip | null;
  /** Chain violations found on the way (a tree over a broken chain proves nothing). */
  readonly violations: ReadonlyArray<Violation>;
}

/**
 * Read a stream (up to revision `to`, inclusive) and build its Merkle tree, checking the chain on the
 * way (revisions, links, hashes). O(n) once; every root and proof after that is O(log n).
 */
export const streamTree = async (
  store: EventStore,
  streamId: string,
  opts: { readonly to?: number; readonly onEvent?: (e: RecordedEvent) => void } = {},
): Promise<E.Either<StoreError, StreamTree>> => {
  const tree = new MerkleTree();
  let next = 0;
  const r = await walkChain(store, streamId, {
    ...(opts.to === undefined ? {} : { to: opts.to }),
    onEvent: (e) => {
      // Only in-order events become leaves; anything else is already a chain violation.
      if (e.envelope.revision === next) {
        tree.appendEventHash(e.envelope.hash);
        next += 1;
      }
      opts.onEvent?.(e);
    },
  });
  if (E.isLeft(r)) return r;
  return E.right({ streamId, tree, tip: r.right.tip, violations: r.right.violations });
};
