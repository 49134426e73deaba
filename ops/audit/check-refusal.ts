import * as E from "fp-ts/lib/Either.js";
import { decodeEvent, streamIdOf } from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import { chainWalker } from "./chain-walk.ts";
import { Ledger } from "./ledger.ts";
import { forEachPage } from "./stream-source.ts";
import type { Violation } from "./violation.ts";

/**
 * `holdfast audit check-refusal --sku ID --revision N`: was an edge `sold-out` refusal that named view
 * revision N justified? It is when the SKU's state after folding revisions 0…N of an intact log had
 * nothing available (stock − held − sold = 0, holds past their deadline still count as held until an
 * expiry is decided — exactly what the view had applied). A closed sale with units left does not
 * justify `sold-out` (the refusal would have been `sale-closed`).
 *
 * The fold is the auditor's own `Ledger`, not the decider's `evolve`, so a bug in the decider cannot
 * justify a refusal; the chain of 0…N is checked on the way (a broken chain justifies nothing).
 */
export interface RefusalVerdict {
  readonly streamId: string;
  readonly revision: number;
  readonly justified: boolean;
  readonly stock: number;
  readonly held: number;
  readonly sold: number;
  readonly available: number;
  readonly closed: boolean;
  /** Units a later release may still free (a `Retry-After` was honest while this is above 0). */
  readonly releasable: number;
  readonly reason: string;
  readonly violations: ReadonlyArray<Violation>;
}

export type RefusalRunError = StoreError | { readonly _tag: "NoSuchStream"; readonly streamId: string };

export const checkRefusal = async (
  store: EventStore,
  skuId: string,
  revision: number,
): Promise<E.Either<RefusalRunError, RefusalVerdict>> => {
  const streamId = streamIdOf(skuId);
  const walker = chainWalker(streamId);
  const ledger = new Ledger();
  const violations: Violation[] = [];
  let last = -1;
  const r = await forEachPage(
    store,
    streamId,
    (items) => {
      for (const it of items) {
        if (it._tag === "Unreadable") {
          for (const i of walker.unreadable(it.revision, it.message)) violations.push({ streamId, ...i });
          continue;
        }
        const env = it.recorded.envelope;
        for (const i of walker.push(env)) violations.push({ streamId, ...i });
        const d = decodeEvent(env);
        if (E.isLeft(d)) {
          violations.push({
            streamId,
            revision: env.revision,
            rule: "decode/invalid-event",
            message: d.left._tag,
          });
          continue;
        }
        for (const i of ledger.apply(env, d.right.event)) violations.push({ streamId, ...i });
        last = Math.max(last, env.revision);
      }
      return true;
    },
    { to: revision },
  );
  if (E.isLeft(r)) return r;
  if (last < 0 && violations.length === 0) return E.left({ _tag: "NoSuchStream", streamId });
  const f = ledger.figures();
  const available = f.stock - f.held - f.sold;
  const base = {
    streamId,
    revision,
    stock: f.stock,
    held: f.held,
    sold: f.sold,
    available,
    closed: f.closed,
    releasable: f.held,
    violations,
  };
  if (violations.length > 0)
    return E.right({
      ...base,
      justified: false,
      reason: `the log up to r${revision} is not intact, so it justifies nothing`,
    });
  if (last < revision)
    return E.right({
      ...base,
      justified: false,
      reason: `the stream ends at r${last}: the view named revision ${revision}, which the log does not have`,
    });
  if (!f.listed)
    return E.right({ ...base, justified: false, reason: `the SKU was not listed at r${revision}` });
  return E.right(
    available <= 0
      ? {
          ...base,
          justified: true,
          reason: `nothing was available after r${revision}: stock ${f.stock} = ${f.held} held + ${f.sold} sold${f.held > 0 ? ` (${f.held} held unit(s) could still be released, so Retry-After was honest)` : ""}`,
        }
      : {
          ...base,
          justified: false,
          reason: `${available} unit(s) were available after r${revision}: the refusal was not justified`,
        },
  );
};
