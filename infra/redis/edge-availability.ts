import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import type { Redis } from "ioredis";
import { type Availability, readAvailability } from "./availability.ts";
import { messageOf } from "../errors/message-of.ts";

/**
 * What the write API's sold-out check relies on: one SKU's stock figures at a stream revision.
 *
 * Two sources, and the edge uses the freshest (highest revision) of them:
 * - `handler`: the command handler's own state, stored after every append that moved the SKU (key
 *   `{prefix}edge-av:{skuId}`, written before the chunk's outcomes, in the same round trip). It is never
 *   behind what any answer already told a client: an admin who got `200` for a restock can only reach
 *   the edge after the new figures were stored.
 * - `view`: the Redis availability projection (`availability.ts`), which lags a little behind the log.
 *
 * `revision` is the revision of the last event folded into the figures, the one a refusal names (and
 * `holdfast audit check-refusal` proves). `nextReleaseAt` is the earliest deadline of a hold that can
 * still lapse (`null` when none, or unknown for the `view` source). `closed`: the sale was closed (for the
 * `view` source: it was outside its open window when read); the window is known for the handler's only.
 */
export const EdgeView = t.type({
  skuId: t.string,
  revision: t.number,
  total: t.number,
  available: t.number,
  held: t.number,
  sold: t.number,
  closed: t.boolean,
  saleStartsAt: t.union([t.string, t.null]),
  saleEndsAt: t.union([t.string, t.null]),
  nextReleaseAt: t.union([t.string, t.null]),
  source: t.keyof({ handler: null, view: null }),
});
export type EdgeView = t.TypeOf<typeof EdgeView>;

export type EdgeAvailabilityError = { readonly _tag: "AvailabilityUnavailable"; readonly message: string };

export const edgeViewKey = (prefix: string, skuId: string) => `${prefix}edge-av:${skuId}`;

const fromView = (
  a: Availability,
  h: { closed: boolean; saleStartsAt: string; saleEndsAt: string },
): EdgeView => ({
  skuId: a.skuId,
  revision: a.revision,
  total: a.total,
  available: a.available,
  held: a.held,
  sold: a.sold,
  closed: h.closed,
  saleStartsAt: h.saleStartsAt === "" ? null : h.saleStartsAt,
  saleEndsAt: h.saleEndsAt === "" ? null : h.saleEndsAt,
  nextReleaseAt: null,
  source: "view",
});

const decodeHandlerView = (text: string | null): EdgeView | null => {
  if (text === null) return null;
  try {
    const r = EdgeView.decode(JSON.parse(text));
    return E.isRight(r) ? r.right : null;
  } catch {
    return null;
  }
};

/** The fresher of two views: higher revision; on a tie the handler's (it knows the hold deadlines). */
export const freshest = (a: EdgeView | null, b: EdgeView | null): EdgeView | null => {
  if (a === null) return b;
  if (b === null) return a;
  if (a.revision !== b.revision) return a.revision > b.revision ? a : b;
  return a.source === "handler" ? a : b;
};

/**
 * The edge's availability port: `hint` is the last figures this process saw (no I/O; refreshed in the
 * background every `refreshMs`), `fresh` reads both sources with a read that starts after the call, so
 * it reflects every write that completed before the request arrived. Reads are coalesced: every caller
 * in the same event-loop turn shares one round trip, so a flood of refusals costs a handful of reads.
 */
export interface EdgeAvailability {
  hint(skuId: string): EdgeView | null;
  fresh(skuId: string): Promise<E.Either<EdgeAvailabilityError, EdgeView | null>>;
}

export const makeEdgeAvailability = (
  redis: Redis,
  opts: { readonly prefix: string; readonly viewNamespace: string; readonly refreshMs?: number },
): EdgeAvailability => {
  const refreshMs = opts.refreshMs ?? 100;
  const known = new Map<string, { view: EdgeView | null; at: number }>();
  const next = new Map<string, Promise<E.Either<EdgeAvailabilityError, EdgeView | null>>>();

  const read = async (skuId: string): Promise<E.Either<EdgeAvailabilityError, EdgeView | null>> => {
    try {
      const [handlerText, view] = await Promise.all([
        redis.get(edgeViewKey(opts.prefix, skuId)),
        readAvailabilityWithWindow(redis, skuId, opts.viewNamespace),
      ]);
      const v = freshest(decodeHandlerView(handlerText), view);
      if (known.size > 10_000) known.clear();
      known.set(skuId, { view: v, at: Date.now() });
      return E.right(v);
    } catch (e) {
      return E.left({ _tag: "AvailabilityUnavailable", message: messageOf(e) });
    }
  };

  const fresh = (skuId: string) => {
    const pending = next.get(skuId);
    if (pending !== undefined) return pending;
    // Issued on the next turn: every request of this turn arrived before the read starts.
    const p = new Promise<E.Either<EdgeAvailabilityError, EdgeView | null>>((resolve) =>
      setImmediate(() => {
        next.delete(skuId);
        void read(skuId).then(resolve);
      }),
    );
    next.set(skuId, p);
    return p;
  };

  return {
    fresh,
    hint: (skuId) => {
      const k = known.get(skuId);
      if (k === undefined || Date.now() - k.at >= refreshMs) {
        if (k !== undefined) k.at = Date.now(); // one background refresh per interval
        void fresh(skuId);
      }
      return k?.view ?? null;
    },
  };
};

/**
 * The projection's figures, or `null` when the view lacks the SKU. The view does not carry the sale
 * window out, only the status it implies now: a SKU outside its open window reads as `closed` here, which
 * is all the sold-out check needs (it refuses only inside the window).
 */
const readAvailabilityWithWindow = async (
  redis: Redis,
  skuId: string,
  namespace: string,
): Promise<EdgeView | null> => {
  const a = await readAvailability(redis, skuId, { namespace });
  if (a === null) return null;
  return fromView(a, {
    closed: a.status === "closed" || a.status === "scheduled",
    saleStartsAt: "",
    saleEndsAt: "",
  });
};
