import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  decodeEnvelope,
  type EventDraft,
  type EventEnvelope,
  type SkuCommand,
  type SkuEvent,
  sealEvents,
  streamIdOf,
  verifyChain,
} from "../../event-schemas/index.ts";
import { decide } from "./decide.ts";
import { decideBatch } from "./decide-batch.ts";
import { evolve, foldEvents } from "./evolve.ts";
import { availabilityOf, snapshotOf, usageOf } from "./queries.ts";
import { initialState, type SkuState } from "./state.ts";
import { listSku, T0, uuid } from "./testing.ts";

/**
 * Random interleavings of everything shoppers, the scheduler, the payment saga and admins can send to
 * one SKU, decided in random batches, with a clock that mostly moves forward (sometimes a little back).
 */
type Op =
  | { readonly k: "reserve"; readonly user: number; readonly qty: number; readonly partial: boolean }
  | { readonly k: "cancel"; readonly ref: number; readonly asOwner: boolean }
  | { readonly k: "checkout"; readonly ref: number; readonly asOwner: boolean }
  | { readonly k: "pay"; readonly ref: number; readonly result: "ok" | "fail" | "unresolved" }
  | { readonly k: "expire" }
  | { readonly k: "restock"; readonly qty: number }
  | { readonly k: "close" }
  | { readonly k: "replay"; readonly ref: number };

const USERS = 6;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant("reserve" as const),
      user: fc.nat(USERS - 1),
      qty: fc.integer({ min: 1, max: 4 }),
      partial: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant("cancel" as const), ref: fc.nat(), asOwner: fc.boolean() }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant("checkout" as const),
      ref: fc.nat(),
      asOwner: fc.nat(3).map((n) => n > 0), // mostly the owner
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant("pay" as const),
      ref: fc.nat(),
      result: fc.constantFrom("ok" as const, "fail" as const, "unresolved" as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ k: "expire" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant("restock" as const), qty: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ k: "close" as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("replay" as const), ref: fc.nat() }) },
);

const scenarioArb = fc.record({
  stock: fc.integer({ min: 0, max: 12 }),
  perUserLimit: fc.integer({ min: 1, max: 4 }),
  holdSeconds: fc.integer({ min: 5, max: 90 }),
  // Seconds between commands: mostly a few, sometimes a jump past deadlines, sometimes a little back.
  steps: fc.array(
    fc.tuple(
      opArb,
      fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }) }, fc.integer({ min: -5, max: 60 })),
    ),
    { minLength: 1, maxLength: 150, size: "medium" },
  ),
  batchSizes: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 10 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

/** Turn abstract steps into concrete commands (ids resolved against what was issued before). */
const commandsOf = (sc: Scenario): SkuCommand[] => {
  let clock = Date.parse(T0);
  let n = 0;
  const mk = (body: object): SkuCommand => {
    n += 1;
    return { ...body, requestId: `req-${n}`, now: new Date(clock).toISOString() } as SkuCommand;
  };
  const out: SkuCommand[] = [
    mk(listSku({ stock: sc.stock, perUserLimit: sc.perUserLimit, holdSeconds: sc.holdSeconds })),
  ];
  const reservations: { reservationId: string; userId: string }[] = [];
  const orders: string[] = [];
  for (const [op, dt] of sc.steps) {
    clock += dt * 1000;
    const pick = <A>(xs: A[], i: number): A | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
    switch (op.k) {
      case "reserve": {
        const r = { reservationId: uuid(out.length), userId: `u${op.user}` };
        reservations.push(r);
        out.push(mk({ type: "PlaceReservation", ...r, quantity: op.qty, allowPartial: op.partial }));
        break;
      }
      case "cancel":
      case "checkout": {
        const r = pick(reservations, op.ref);
        if (r === undefined) break;
        const userId = op.asOwner ? r.userId : `${r.userId}x`;
        if (op.k === "cancel")
          out.push(mk({ type: "CancelReservation", reservationId: r.reservationId, userId }));
        else {
          const orderId = uuid(100_000 + out.length);
          orders.push(orderId);
          out.push(
            mk({ type: "PlaceOrder", orderId, reservationId: r.reservationId, userId, paymentToken: "t" }),
          );
        }
        break;
      }
      case "pay": {
        const orderId = pick(orders, op.ref);
        if (orderId === undefined) break;
        out.push(
          op.result === "ok"
            ? mk({ type: "RecordPaymentSucceeded", orderId, paymentId: "p" })
            : op.result === "fail"
              ? mk({ type: "RecordPaymentFailed", orderId, reason: "declined" })
              : mk({ type: "RecordPaymentUnresolved", orderId, reason: "timeout" }),
        );
        break;
      }
      case "expire":
        out.push(mk({ type: "ExpireHolds" }));
        break;
      case "restock":
        out.push(mk({ type: "AddStock", quantity: op.qty }));
        break;
      case "close":
        out.push(mk({ type: "CloseSale" }));
        break;
      case "replay": {
        const previous = pick(out, op.ref);
        if (previous !== undefined) out.push({ ...previous }); // same requestId: a redelivery
        break;
      }
      default:
        op satisfies never;
    }
  }
  return out;
};

interface Run {
  readonly commands: SkuCommand[];
  readonly outcomes: E.Either<unknown, ReadonlyArray<SkuEvent>>[];
  readonly log: { event: SkuEvent; requestId: string; command: SkuCommand; index: number }[];
  readonly states: SkuState[];
}

const run = (sc: Scenario): Run => {
  const commands = commandsOf(sc);
  const outcomes: Run["outcomes"] = [];
  const log: Run["log"] = [];
  const states: SkuState[] = [initialState];
  let state: SkuState = initialState;
  let i = 0;
  let b = 0;
  while (i < commands.length) {
    const size = sc.batchSizes[b % sc.batchSizes.length]!;
    b += 1;
    const batch = commands.slice(i, i + size);
    const before = snapshotOf(state);
    const result = decideBatch(state, batch);
    // decideBatch leaves its input state as it was, and a retry from it (after a failed append) decides
    // the same again.
    expect(snapshotOf(state)).toEqual(before);
    if (b % 3 === 0) expect(decideBatch(state, batch).outcomes).toEqual(result.outcomes);
    result.outcomes.forEach((o, j) => {
      outcomes.push(o);
      if (E.isRight(o))
        for (const event of o.right)
          log.push({ event, requestId: batch[j]!.requestId, command: batch[j]!, index: i + j });
    });
    state = result.state;
    states.push(state);
    i += size;
  }
  return { commands, outcomes, log, states };
};

/** An independent accounting of the log: stock, held, sold and per-user units after every event. */
const checkAccounting = (log: Run["log"], perUserLimit: number) => {
  let stock = 0;
  let held = 0;
  let sold = 0;
  const users = new Map<string, number>();
  const holdOf = new Map<string, { userId: string; quantity: number }>();
  const orderHold = new Map<string, string>();
  const add = (u: string, q: number) => users.set(u, (users.get(u) ?? 0) + q);
  for (const { event } of log) {
    switch (event.type) {
      case "SkuListed":
        stock = event.data.stock;
        break;
      case "StockAdded":
        stock = event.data.stock;
        break;
      case "ReservationPlaced":
        held += event.data.quantity;
        add(event.data.userId, event.data.quantity);
        holdOf.set(event.data.reservationId, { userId: event.data.userId, quantity: event.data.quantity });
        expect(event.data.quantity).toBeLessThanOrEqual(event.data.quantityRequested);
        if (!event.data.allowPartial) expect(event.data.quantity).toBe(event.data.quantityRequested);
        break;
      case "ReservationCancelled":
      case "ReservationExpired":
        held -= event.data.quantity;
        add(event.data.userId, -event.data.quantity);
        break;
      case "OrderPlaced":
        orderHold.set(event.data.orderId, event.data.reservationId);
        break;
      case "PaymentSucceeded":
        held -= event.data.quantity;
        sold += event.data.quantity;
        break;
      case "PaymentFailed": {
        held -= event.data.quantity;
        add(holdOf.get(event.data.reservationId)!.userId, -event.data.quantity);
        break;
      }
      case "SaleClosed":
      case "ReservationRejected":
      case "PaymentUnresolved":
        break;
      default:
        event satisfies never;
    }
    expect(held).toBeGreaterThanOrEqual(0);
    expect(held + sold).toBeLessThanOrEqual(stock);
    for (const n of users.values()) expect(n).toBeLessThanOrEqual(perUserLimit);
  }
  return { stock, held, sold, users };
};

const drafts = (log: Run["log"]): EventDraft[] =>
  log.map(({ event, requestId, command, index }, n) => ({
    eventId: uuid(500_000 + n),
    event,
    occurredAt: command.now,
    requestId,
    correlationId: requestId,
    causationId: requestId,
    queuePosition: index,
  }));

// Generous timeout: these are correctness properties, not timings, and the CI machine may be shared.
describe("SKU decider invariants over random interleavings", { timeout: 120_000 }, () => {
  it("never oversells, never passes the per-user limit, and the state matches an independent count", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { log, states } = run(sc);
        const final = states[states.length - 1]!;
        const counted = checkAccounting(log, sc.perUserLimit);
        const a = availabilityOf(final, T0)!;
        expect({ total: a.total, held: a.held, sold: a.sold }).toEqual({
          total: counted.stock,
          held: counted.held,
          sold: counted.sold,
        });
        expect(a.available).toBeGreaterThanOrEqual(0);
        for (const [u, n] of counted.users) expect(usageOf(final, u)).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it("answers every request exactly once", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { commands, outcomes, log } = run(sc);
        expect(outcomes).toHaveLength(commands.length);
        const firstSeen = new Map<string, number>();
        commands.forEach((c, i) => {
          const o = outcomes[i]!;
          const first = firstSeen.get(c.requestId);
          if (first === undefined) firstSeen.set(c.requestId, i);
          if (first !== undefined && E.isRight(outcomes[first]!) && outcomes[first]!.right.length > 0) {
            // A redelivered request whose decision was recorded: no new events, the outcome stands.
            expect(o).toEqual(E.left({ _tag: "RequestAlreadyDecided", requestId: c.requestId }));
          }
          if (c.type === "PlaceReservation" && first === undefined) {
            // Exactly one answer event for a new reservation request: placed or rejected, and it comes last.
            expect(E.isRight(o)).toBe(true);
            const events = E.isRight(o) ? o.right : [];
            const answers = events.filter(
              (e) =>
                (e.type === "ReservationPlaced" || e.type === "ReservationRejected") &&
                e.data.reservationId === c.reservationId,
            );
            expect(answers).toHaveLength(1);
            expect(events[events.length - 1]).toBe(answers[0]);
          }
        });
        // Across the whole log, each reservation is answered once and each request's events are contiguous.
        const answered = log.filter(
          (l) => l.event.type === "ReservationPlaced" || l.event.type === "ReservationRejected",
        );
        const ids = answered.map((l) => (l.event.data as { reservationId: string }).reservationId);
        expect(new Set(ids).size).toBe(ids.length);
        const ended = new Set<string>();
        log.forEach((l, i) => {
          expect(ended.has(l.requestId)).toBe(false);
          if (log[i + 1]?.requestId !== l.requestId) ended.add(l.requestId);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("folding evolve over the emitted events reproduces the decided state, batch by batch or one by one", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { commands, log, states } = run(sc);
        const final = states[states.length - 1]!;
        expect(snapshotOf(foldEvents(log))).toEqual(snapshotOf(final));
        // The pure single-step API agrees with the batch: decide then evolve, one command at a time.
        let state: SkuState = initialState;
        for (const c of commands) {
          const o = decide(c, state);
          if (E.isRight(o)) for (const e of o.right) state = evolve(state, e, c.requestId);
        }
        expect(snapshotOf(state)).toEqual(snapshotOf(final));
      }),
      { numRuns: 200 },
    );
  });

  it("the emitted events seal into a chain that verifies", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { log } = run(sc);
        const all = drafts(log);
        // Sealed in pieces, as the writer appends batch after batch, continuing from the tip.
        const streamId = streamIdOf("tee");
        const half = Math.floor(all.length / 2);
        const first = sealEvents(streamId, null, all.slice(0, half));
        const last = first[first.length - 1];
        const second = sealEvents(streamId, last === undefined ? null : last, all.slice(half));
        const sealed = [...first, ...second];
        const verified = verifyChain(sealed, { streamId });
        expect(verified).toEqual(
          E.right({ revision: sealed.length - 1, hash: sealed[sealed.length - 1]!.hash }),
        );
      }),
      { numRuns: 100 },
    );
  });

  it("flipping any one byte of any sealed event is detected at that revision", () => {
    const streamId = streamIdOf("tee");
    fc.assert(
      fc.property(
        scenarioArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (sc, which, where, mask) => {
          const sealed = sealEvents(streamId, null, drafts(run(sc).log));
          const revision = which % sealed.length;
          const bytes = Buffer.from(canonicalJson(sealed[revision]), "utf8");
          const at = where % bytes.length;
          bytes[at] = bytes[at]! ^ mask;
          const detected = detectAt(bytes, sealed, revision, streamId);
          expect(detected).toBe(revision);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** The revision at which a reader notices the tampered bytes: decoding fails there, or the chain does. */
const detectAt = (
  bytes: Buffer,
  sealed: EventEnvelope[],
  revision: number,
  streamId: string,
): number | null => {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return revision; // not UTF-8 or not JSON: the read of that revision fails
  }
  const env = decodeEnvelope(raw);
  if (E.isLeft(env)) return revision;
  const tampered = sealed.map((e, i) => (i === revision ? env.right : e));
  const verdict = verifyChain(tampered, { streamId });
  return E.isLeft(verdict) ? verdict.left.revision : null;
};
