import * as E from "fp-ts/lib/Either.js";
import { type ChunkDeps, decideChunk, type QueuedItem } from "../../../commands/handler/decide-chunk.ts";
import type { SkuEntry } from "../../../commands/handler/sku-cache.ts";
import { initialState, orderOf, reservationOf } from "../../../domain/sku/index.ts";
import type { SkuCommandBody } from "../../../event-schemas/index.ts";
import { queuedCommand } from "../../../infra/command-queue/queued-command.ts";
import type { EventStore } from "../../../infra/event-store/port.ts";

/**
 * A real flash sale for tests and the benchmark, decided by the command handler's own `decideChunk`
 * (the write path after Kafka: decideBatch in queue order, sealEvents, append with the expected
 * revision) against any event store. Deterministic for a seed: many shoppers racing for little stock,
 * partial allocations, rejections, cancels, lazy and scheduled expiries, checkouts, payments that
 * succeed, fail or stay unresolved, a restock and the close.
 */
export interface SaleOptions {
  readonly skuId?: string;
  readonly seed?: number;
  readonly shoppers?: number;
  readonly stock?: number;
  /** Handler chunks to run (each decided at one instant, 250 ms apart, with pauses that let holds lapse). */
  readonly chunks?: number;
  readonly commandsPerChunk?: number;
  /** Close the sale at the end (default true); an open sale can grow later with `addStock`. */
  readonly close?: boolean;
}

export interface SaleResult {
  readonly skuId: string;
  readonly streamId: string;
  readonly events: number;
  readonly entry: SkuEntry;
  /** Decide one more `AddStock` on the same stream (a stream that grows after the sale). */
  readonly addStock: (quantity: number) => Promise<void>;
}

const T0 = Date.parse("2026-11-21T12:00:00.000Z");

/** Deterministic UUIDs: the kind in the first group, a counter in the last. */
export const fixtureUuid = (kind: number, n: number): string =>
  `${kind.toString(16).padStart(8, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

export const runSale = async (store: EventStore, opts: SaleOptions = {}): Promise<SaleResult> => {
  const skuId = opts.skuId ?? "tee";
  const rnd = mulberry32(opts.seed ?? 42);
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(rnd() * xs.length)]!;
  const shoppers = Array.from({ length: opts.shoppers ?? 200 }, (_, i) => `shopper-${i}`);
  const chunks = opts.chunks ?? 60;
  const perChunk = opts.commandsPerChunk ?? 20;
  let clock = T0;
  let ids = 0;
  let position = 0;
  let events = 0;
  let placed: Array<{ reservationId: string; userId: string }> = [];
  let orders: string[] = [];

  const deps: ChunkDeps = {
    store,
    now: () => new Date(clock),
    newId: () => fixtureUuid(0xe, ++ids),
    recordedOutcome: async () => E.right(null),
  };
  let entry: SkuEntry = { skuId, state: initialState, tip: null, lastQueuePosition: -1, outcomes: new Map() };

  // Plain strings in, branded ids out: the fixture's ids are valid by construction.
  const queued = (
    command: { readonly type: SkuCommandBody["type"] } & Record<string, unknown>,
  ): QueuedItem => {
    return {
      queued: queuedCommand(skuId, command as unknown as SkuCommandBody, {
        requestId: fixtureUuid(0xa, ++ids),
        now: new Date(clock),
      }),
      position: position++,
    };
  };

  const run = async (items: QueuedItem[]) => {
    const r = await decideChunk(deps, entry, items);
    if (E.isLeft(r)) throw new Error(`append failed: ${JSON.stringify(r.left)}`);
    entry = r.right.entry;
    events += r.right.appended;
  };

  await run([
    queued({
      type: "ListSku",
      skuId,
      name: "Limited tee",
      description: "Drop #1",
      priceCents: 2500,
      currency: "EUR",
      stock: opts.stock ?? 120,
      perUserLimit: 3,
      holdSeconds: 120,
      saleStartsAt: null,
      saleEndsAt: null,
      tags: ["apparel"],
    }),
  ]);

  for (let c = 0; c < chunks; c++) {
    // Every 12th chunk the clock jumps past the hold time: lazy expiries and a scheduled ExpireHolds.
    clock += c % 12 === 11 ? 125_000 : 250;
    const items: QueuedItem[] = [];
    if (c % 12 === 11) items.push(queued({ type: "ExpireHolds" }));
    if (c === Math.floor(chunks / 2)) items.push(queued({ type: "AddStock", quantity: 15 }));
    // Shoppers act on what they saw before this chunk (holds and orders as of the last append).
    placed = placed.filter((p) => reservationOf(entry.state, p.reservationId)?.status === "held");
    orders = orders.filter((o) => {
      const s = orderOf(entry.state, o)?.status;
      return s === "pending_payment" || s === "payment_unresolved";
    });
    const live = [...placed];
    const pending = [...orders];
    for (let k = 0; k < perChunk; k++) {
      const roll = rnd();
      if (roll < 0.6 || live.length === 0) {
        const reservationId = fixtureUuid(0xb, ++ids);
        const userId = pick(shoppers);
        placed.push({ reservationId, userId });
        items.push(
          queued({
            type: "PlaceReservation",
            reservationId,
            userId,
            quantity: 1 + Math.floor(rnd() * 3),
            allowPartial: rnd() < 0.4,
          }),
        );
      } else if (roll < 0.7) {
        const h = pick(live);
        items.push(queued({ type: "CancelReservation", reservationId: h.reservationId, userId: h.userId }));
      } else if (roll < 0.85) {
        const h = pick(live);
        const orderId = fixtureUuid(0xc, ++ids);
        orders.push(orderId);
        items.push(
          queued({
            type: "PlaceOrder",
            orderId,
            reservationId: h.reservationId,
            userId: h.userId,
            paymentToken: `tok-${ids}`,
          }),
        );
      } else if (pending.length > 0) {
        const orderId = pick(pending);
        const p = rnd();
        items.push(
          p < 0.75
            ? queued({ type: "RecordPaymentSucceeded", orderId, paymentId: `pay-${ids}` })
            : p < 0.92
              ? queued({ type: "RecordPaymentFailed", orderId, reason: "card declined" })
              : queued({ type: "RecordPaymentUnresolved", orderId, reason: "gateway timeout" }),
        );
      }
    }
    await run(items);
  }
  clock += 1000;
  if (opts.close !== false) await run([queued({ type: "CloseSale" })]);
  const addStock = async (quantity: number) => {
    clock += 1000;
    await run([queued({ type: "AddStock", quantity })]);
  };
  return { skuId, streamId: `sku-${skuId}`, events, entry, addStock };
};
