import * as E from "fp-ts/lib/Either.js";
import type { ChainTip } from "../../event-schemas/index.ts";
import type { EventStore, RecordedEvent, StoreError } from "../../infra/event-store/port.ts";
import { chainWalker } from "./chain-walk.ts";
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
  // Read through the port: each event's stored bytes were already hashed against its hash (chain-walk.ts).
  const walker = chainWalker(streamId, null, { storeVerifiedHashes: true });
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
