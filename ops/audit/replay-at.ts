import * as E from "fp-ts/lib/Either.js";
import {
  type Availability,
  foldEvents,
  initialState,
  type Order,
  orderOf,
  type ReservationView,
  reservationOf,
  type SkuState,
} from "../../domain/sku/index.ts";
import { type DecodedEvent, decodeEvent, streamIdOf } from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import { availabilityOf } from "../../domain/sku/index.ts";
import { chainWalker } from "./chain-walk.ts";
import { describeEvent } from "./describe-event.ts";
import { forEachPage } from "./stream-source.ts";
import type { Violation } from "./violation.ts";

/** Where `holdfast replay --at` stops: a revision (inclusive), an instant (events at or before it), or the end. */
export type ReplayPoint =
  | { readonly kind: "revision"; readonly revision: number }
  | { readonly kind: "time"; readonly time: string }
  | { readonly kind: "end" };

/** `--at 41` is a revision, `--at 2026-11-21T12:00:05Z` an instant. */
export const parseReplayPoint = (text: string | undefined): E.Either<string, ReplayPoint> => {
  if (text === undefined) return E.right({ kind: "end" });
  if (/^\d+$/.test(text)) return E.right({ kind: "revision", revision: Number(text) });
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    return E.left(`--at must be a revision (0, 1, …) or an ISO-8601 instant, got "${text}"`);
  return E.right({ kind: "time", time: new Date(ms).toISOString() });
};

export interface ReplayedEvent {
  readonly revision: number;
  readonly occurredAt: string;
  readonly queuePosition: number;
  readonly requestId: string;
  readonly type: string;
  readonly detail: string;
}

export interface ReplayView {
  readonly streamId: string;
  /** The last revision applied (null: nothing at that point). */
  readonly revision: number | null;
  /** The instant availability is computed at: the `--at` time, or the last event's. */
  readonly at: string | null;
  readonly availability: Availability | null;
  /** Reservations by status (rejected requests are not reservations). */
  readonly reservationCounts: Readonly<Record<string, number>>;
  /** Holds still live at that point (held, or ordered and awaiting payment). */
  readonly liveHolds: ReadonlyArray<ReservationView>;
  readonly orders: ReadonlyArray<Order>;
  readonly eventCount: number;
  /** The events that led there (the last `tail` when asked). */
  readonly events: ReadonlyArray<ReplayedEvent>;
  /** Chain problems met on the way (see `holdfast audit verify` for the full audit). */
  readonly chainViolations: ReadonlyArray<Violation>;
}

export type ReplayError =
  | StoreError
  | { readonly _tag: "NoSuchStream"; readonly streamId: string }
  | { readonly _tag: "Undecodable"; readonly revision: number; readonly message: string };

/**
 * `holdfast replay`: fold a SKU's stream with the decider's own `evolve` up to a point and describe the
 * state there, with the events that led to it. Reads page by page; keeps one line per event (or the last
 * `tail`) and the ids of reservations and orders.
 */
export const replayTo = async (
  store: EventStore,
  skuId: string,
  point: ReplayPoint,
  opts: { readonly tail?: number } = {},
): Promise<E.Either<ReplayError, ReplayView>> => {
  const streamId = streamIdOf(skuId);
  const walker = chainWalker(streamId);
  const chainViolations: Violation[] = [];
  let state: SkuState = initialState;
  let revision: number | null = null;
  let lastAt: string | null = null;
  let eventCount = 0;
  let undecodable: ReplayError | null = null;
  const events: ReplayedEvent[] = [];
  const reservationIds: string[] = [];
  const orderIds: string[] = [];
  const tail = opts.tail ?? Number.POSITIVE_INFINITY;
  const r = await forEachPage(
    store,
    streamId,
    (items) => {
      const page: DecodedEvent[] = [];
      let more = true;
      for (const it of items) {
        if (it._tag === "Unreadable") {
          undecodable = { _tag: "Undecodable", revision: it.revision, message: it.message };
          return false;
        }
        const env = it.recorded.envelope;
        if (point.kind === "time" && env.occurredAt > point.time) {
          more = false;
          break;
        }
        for (const i of walker.push(env))
          if (chainViolations.length < 20) chainViolations.push({ streamId, ...i });
        const d = decodeEvent(env);
        if (E.isLeft(d)) {
          undecodable = { _tag: "Undecodable", revision: env.revision, message: d.left._tag };
          return false;
        }
        page.push(d.right);
        const ev = d.right.event;
        if (ev.type === "ReservationPlaced") reservationIds.push(ev.data.reservationId);
        if (ev.type === "OrderPlaced") orderIds.push(ev.data.orderId);
        eventCount += 1;
        revision = env.revision;
        lastAt = env.occurredAt;
        events.push({
          revision: env.revision,
          occurredAt: env.occurredAt,
          queuePosition: env.queuePosition,
          requestId: env.requestId,
          type: ev.type,
          detail: describeEvent(ev),
        });
        if (events.length > tail) events.shift();
      }
      try {
        state = foldEvents(page, state);
      } catch (e) {
        undecodable = { _tag: "Undecodable", revision: revision ?? 0, message: (e as Error).message };
        return false;
      }
      return more;
    },
    point.kind === "revision" ? { to: point.revision } : {},
  );
  if (E.isLeft(r)) return r;
  if (undecodable !== null) return E.left(undecodable);
  if (eventCount === 0 && point.kind === "end") return E.left({ _tag: "NoSuchStream", streamId });
  const at = point.kind === "time" ? point.time : lastAt;
  const counts: Record<string, number> = {};
  const liveHolds: ReservationView[] = [];
  for (const id of reservationIds) {
    const v = reservationOf(state, id);
    if (v === undefined) continue;
    counts[v.status] = (counts[v.status] ?? 0) + 1;
    if (v.status === "held" || v.status === "ordered") liveHolds.push(v);
  }
  const orders = orderIds.map((id) => orderOf(state, id)).filter((o): o is Order => o !== undefined);
  return E.right({
    streamId,
    revision,
    at,
    availability: at === null ? null : (availabilityOf(state, at) ?? null),
    reservationCounts: counts,
    liveHolds,
    orders,
    eventCount,
    events,
    chainViolations,
  });
};
