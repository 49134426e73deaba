import { setTimeout as sleep } from "node:timers/promises";
import * as E from "fp-ts/lib/Either.js";
import * as hdr from "hdr-histogram-js";
import { decodeEvent } from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";

/** The checkout bench's settings, from the environment (benchmarks are entry points: they may read it). */
export interface BenchSettings {
  readonly RATE: number;
  readonly SECONDS: number;
  readonly SKUS: number;
  readonly LATENCY_MS: number;
  readonly SERVER: string;
  readonly ORDERS: number;
}

/**
 * The bench's own observer on the global feed: for each order it was told about (`placed(orderId, t0)`),
 * the time until its `PaymentSucceeded` becomes visible to a subscriber. `report` waits (at most 60 s)
 * for every order and prints the percentiles.
 */
export const watchConfirmations = async (store: EventStore, orders: number) => {
  const placedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  // Optional second leg: the orders view (what GET /v1/orders/{id} reads) has applied the event.
  const successAt = new Map<string, bigint>();
  const inView = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 3,
  });
  const viewPending = new Set<string>();
  let viewConfirmed = 0;
  let applied: bigint | null = null;
  const checkView = (now: number) => {
    if (applied === null) return;
    for (const orderId of viewPending) {
      const pos = successAt.get(orderId);
      const t0 = placedAt.get(orderId);
      if (pos === undefined || t0 === undefined || pos > applied) continue;
      viewPending.delete(orderId);
      inView.recordValue(Math.max(1, Math.round(now - t0)));
      viewConfirmed += 1;
    }
  };
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 3,
  });
  let confirmed = 0;
  const record = (orderId: string) => {
    const t0 = placedAt.get(orderId);
    const t1 = seenAt.get(orderId);
    if (t0 === undefined || t1 === undefined) return;
    histogram.recordValue(Math.max(1, Math.round(t1 - t0)));
    confirmed += 1;
  };
  const head = await store.headPosition()();
  if (E.isLeft(head)) throw new Error("store unavailable");
  const watcher = store.subscribe({ after: head.right }, async (events) => {
    const now = performance.now();
    for (const r of events) {
      const d = decodeEvent(r.envelope);
      if (E.isLeft(d) || d.right.event.type !== "PaymentSucceeded") continue;
      seenAt.set(d.right.event.data.orderId, now);
      successAt.set(d.right.event.data.orderId, r.position);
      viewPending.add(d.right.event.data.orderId);
      record(d.right.event.data.orderId);
    }
    checkView(now);
  });
  return {
    /** The orders projection applied everything up to `position` (its checkpoint moves with its data). */
    applied(position: bigint) {
      applied = position;
      checkView(performance.now());
    },
    /** `t0` may arrive after the confirmation was seen (an HTTP answer slower than the whole saga). */
    placed(orderId: string, t0: number) {
      placedAt.set(orderId, t0);
      record(orderId);
      checkView(performance.now());
    },
    async report(what: string, offeredPerSecond: number, charges: () => number, view: string | null = null) {
      const until = performance.now() + 60_000;
      while ((confirmed < orders || (view !== null && viewConfirmed < orders)) && performance.now() < until)
        await sleep(50);
      await watcher.stop();
      if (confirmed < orders)
        console.log(`only ${confirmed}/${orders} confirmed within 60 s after the last order`);
      const p = (q: number) => histogram.getValueAtPercentile(q);
      console.log(`${what} (ms): p50 ${p(50)}  p95 ${p(95)}  p99 ${p(99)}  max ${histogram.maxValue}`);
      if (view !== null) {
        const v = (q: number) => inView.getValueAtPercentile(q);
        console.log(
          `${view} (ms): p50 ${v(50)}  p95 ${v(95)}  p99 ${v(99)}  max ${inView.maxValue}  (${viewConfirmed}/${orders})`,
        );
      }
      console.log(
        `offered ${offeredPerSecond.toFixed(1)} orders/s; confirmed ${confirmed}/${orders}; gateway charges ${charges()} (one per order: ${charges() === confirmed})`,
      );
    },
  };
};
