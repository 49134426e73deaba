import { spawnSync } from "node:child_process";
import * as E from "fp-ts/lib/Either.js";
import { foldEvents, usageOf } from "../../domain/sku/index.ts";
import { type DecodedEvent, decodeEvent, streamIdOf } from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { waitFor } from "../serve/testing/harness.ts";
import type { FinalAnswer } from "./shoppers.ts";

/** One invariant, as the report's table shows it. */
export interface Check {
  readonly name: string;
  readonly source: "answers" | "log" | "views";
  readonly ok: boolean;
  readonly detail: string;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const REFUSALS = new Set(["/problems/sold-out", "/problems/insufficient-stock", "/problems/limit-exceeded"]);

export interface CheckInput {
  readonly skuId: string;
  readonly stock: number;
  readonly perUserLimit: number;
  readonly answers: ReadonlyArray<FinalAnswer>;
  /** Order id → final status as the read API answered it. */
  readonly orders: ReadonlyMap<string, string>;
  readonly store: EventStore | null;
  readonly readBase: string;
  readonly auditEnv: Readonly<Record<string, string>>;
}

const readLog = async (store: EventStore, skuId: string): Promise<DecodedEvent[]> => {
  const r = await store.readStream(streamIdOf(skuId))();
  if (E.isLeft(r)) throw new Error(`cannot read the log: ${JSON.stringify(r.left)}`);
  return r.right.map((x) => {
    const d = decodeEvent(x.envelope);
    if (E.isLeft(d))
      throw new Error(`undecodable event at ${x.envelope.revision}: ${JSON.stringify(d.left)}`);
    return d.right;
  });
};

/**
 * The rehearsal's verdict: no oversell, every request exactly one final answer, the per-shopper limit,
 * from the shoppers' answers AND from the log; `holdfast audit verify` clean; the availability and order
 * views caught up with the log.
 */
export const checkInvariants = async (i: CheckInput): Promise<Check[]> => {
  const checks: Check[] = [];
  const add = (name: string, source: Check["source"], ok: boolean, detail: string) =>
    checks.push({ name, source, ok, detail });
  const granted = i.answers.filter((a) => a.status === 201);
  const qty = (a: FinalAnswer) => Number(a.body.quantity ?? 0);
  // A failed payment releases its units, but a shopper may never see the final status (the order is read
  // once, possibly while a fault holds the saga back): count the failures the log records too.
  const loggedFailures =
    i.store === null
      ? []
      : (await readLog(i.store, i.skuId))
          .filter((e) => e.event.type === "PaymentFailed")
          .map((e) => (e.event.data as { orderId: string }).orderId);
  const failedOrders = new Set([
    ...[...i.orders].filter(([, s]) => s === "payment_failed").map(([id]) => id),
    ...loggedFailures,
  ]);
  const released = (a: FinalAnswer) => (a.order !== null && failedOrders.has(a.order.orderId) ? qty(a) : 0);

  // Answers.
  const grantedUnits = granted.reduce((n, a) => n + qty(a), 0);
  const releasedUnits = granted.reduce((n, a) => n + released(a), 0);
  add(
    "no oversell",
    "answers",
    grantedUnits - releasedUnits <= i.stock,
    `${grantedUnits} units granted, ${releasedUnits} released by failed payments, stock ${i.stock}`,
  );
  const unanswered = i.answers.filter((a) => a.status === 0);
  const odd = i.answers.filter(
    (a) => a.status !== 0 && a.status !== 201 && !(a.status === 409 && REFUSALS.has(String(a.body.type))),
  );
  add(
    "every request one final answer",
    "answers",
    unanswered.length === 0 && odd.length === 0,
    `${i.answers.length} requests: ${granted.length} × 201, ${i.answers.length - granted.length - unanswered.length - odd.length} × 409` +
      (unanswered.length > 0 ? `, ${unanswered.length} never answered` : "") +
      (odd.length > 0
        ? `, ${odd.length} other (${[...new Set(odd.map((a) => `${a.status} ${String(a.body.type ?? "")}`))].slice(0, 3).join("; ")})`
        : ""),
  );
  const resent = i.answers.filter((a) => a.resent !== null);
  const mismatched = resent.filter(
    (a) =>
      a.resent!.status !== a.status ||
      (a.status === 201 && a.resent!.body.reservationId !== a.body.reservationId),
  );
  add(
    "a re-sent Idempotency-Key gets the first answer",
    "answers",
    mismatched.length === 0,
    `${resent.length} re-sent, ${mismatched.length} answered differently`,
  );
  const perUser = new Map<string, number>();
  for (const a of granted)
    perUser.set(a.plan.userId, (perUser.get(a.plan.userId) ?? 0) + qty(a) - released(a));
  const over = [...perUser].filter(([, n]) => n > i.perUserLimit);
  add(
    "per-shopper limit",
    "answers",
    over.length === 0,
    `${perUser.size} shoppers hold units, the most ${Math.max(0, ...perUser.values())} (limit ${i.perUserLimit})` +
      (over.length > 0
        ? `; over: ${over
            .slice(0, 3)
            .map(([u, n]) => `${u}=${n}`)
            .join(", ")}`
        : ""),
  );

  // The log.
  if (i.store === null) {
    add("the log", "log", false, "no event store to read (DATABASE_URL)");
    return checks;
  }
  const events = await readLog(i.store, i.skuId);
  const state = foldEvents(events);
  if (state._tag !== "Listed") {
    add("the log", "log", false, "the SKU is not listed in the log");
    return checks;
  }
  const available = state.stock - state.held - state.sold;
  add(
    "no oversell",
    "log",
    available >= 0 && state.held >= 0 && state.sold >= 0 && state.stock === i.stock,
    `stock ${state.stock}: ${state.sold} sold, ${state.held} held, ${available} available`,
  );
  const placed = events.filter((e) => e.event.type === "ReservationPlaced");
  const decisions = events.filter(
    (e) => e.event.type === "ReservationPlaced" || e.event.type === "ReservationRejected",
  );
  const byRequest = new Map<string, number>();
  for (const e of decisions)
    byRequest.set(e.envelope.requestId, (byRequest.get(e.envelope.requestId) ?? 0) + 1);
  const twice = [...byRequest.values()].filter((n) => n > 1).length;
  const placedIds = new Set(placed.map((e) => (e.event.data as { reservationId: string }).reservationId));
  const answeredIds = new Set(granted.map((a) => String(a.body.reservationId)));
  const unlogged = [...answeredIds].filter((id) => !placedIds.has(id)).length;
  const unanswer = [...placedIds].filter((id) => !answeredIds.has(id)).length;
  add(
    "every request one decision",
    "log",
    twice === 0 && unlogged === 0 && unanswer === 0,
    `${placed.length} holds and ${decisions.length - placed.length} refusals in the log; ` +
      `${twice} requests decided twice, ${unlogged} answered holds missing from the log, ${unanswer} logged holds nobody was told of`,
  );
  const users = new Set(decisions.map((e) => (e.event.data as { userId: string }).userId));
  const overLog = [...users].filter((u) => usageOf(state, u) > state.terms.perUserLimit);
  add(
    "per-shopper limit",
    "log",
    overLog.length === 0,
    `${users.size} shoppers decided, ${overLog.length} over the limit of ${state.terms.perUserLimit}`,
  );
  const audit = spawnSync(
    process.execPath,
    ["ops/bin/holdfast.mjs", "audit", "verify", "--sku", i.skuId, "--json"],
    { cwd: ROOT, env: { ...process.env, ...i.auditEnv }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  add(
    "holdfast audit verify",
    "log",
    audit.status === 0,
    audit.status === 0
      ? `clean: ${events.length} events, chain, invariants, decisions and fairness`
      : `exit ${audit.status}: ${(audit.stdout + audit.stderr).trim().slice(0, 400)}`,
  );

  // The views.
  const last = events[events.length - 1]!.envelope.revision;
  const view = await waitFor(
    "the availability view to reach the log",
    async () => {
      const r = await fetch(`${i.readBase}/v1/products/${i.skuId}/availability`);
      const v = (await r.json()) as { revision: number; available: number; held: number; sold: number };
      return v.revision >= last ? v : null;
    },
    60_000,
    250,
  ).catch(() => null);
  add(
    "availability view caught up",
    "views",
    view !== null && view.available === available && view.held === state.held && view.sold === state.sold,
    view === null
      ? `the view did not reach revision ${last} within 60 s`
      : `revision ${view.revision}: ${view.available} available, ${view.held} held, ${view.sold} sold`,
  );
  const stale = [...i.orders].filter(([id, s]) => state.orders.get(id)?.status !== s);
  add(
    "order view caught up",
    "views",
    stale.length === 0,
    `${i.orders.size} orders read back, ${stale.length} differing from the log`,
  );
  return checks;
};
