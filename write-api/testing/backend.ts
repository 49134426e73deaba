import * as E from "fp-ts/lib/Either.js";
import { randomUUID } from "node:crypto";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { Outcome, QueuedCommand } from "../../event-schemas/index.ts";
import { makeTokenVerifier } from "../../infra/http/auth.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeMemoryIdempotency } from "../../infra/redis/idempotency.ts";
import { makeWriteApi } from "../app.ts";
import type { WriteApiDeps } from "../deps.ts";

export const SECRET = "unit-test-secret-0123456789";

/** The projection's figures of a SKU with nothing left and nothing held (or no figures at all). */
const soldOutView = (soldOut: boolean): WriteApiDeps["availability"] => {
  const view = soldOut
    ? {
        skuId: "tee",
        revision: 7,
        total: 5,
        available: 0,
        held: 0,
        sold: 5,
        closed: false,
        saleStartsAt: null,
        saleEndsAt: null,
        nextReleaseAt: null,
        source: "view" as const,
      }
    : null;
  return { hint: () => view, fresh: async () => E.right(view) };
};

/**
 * A fake back end: the queue records commands and a tiny stock counter answers reservations at once
 * (or never, when `silent`), publishing through the same waiter/read ports the real handler feeds.
 */
export const backend = (opts: {
  stock: number;
  silent?: boolean;
  soldOutView?: boolean;
  overrides?: Partial<WriteApiDeps>;
}) => {
  const enqueued: QueuedCommand[] = [];
  const outcomes = new Map<string, Outcome>();
  const waiters = new Map<string, (o: Outcome) => void>();
  let stock = opts.stock;
  let closed = false;
  const { idempotency, refs } = makeMemoryIdempotency({ decided: (id) => outcomes.has(id) });
  const decide = (q: QueuedCommand): Outcome => {
    const base = {
      requestId: q.requestId,
      skuId: q.skuId,
      decidedAt: new Date().toISOString(),
      revision: enqueued.length,
    };
    const c = q.command;
    if (c.type === "PlaceReservation") {
      if (stock < c.quantity)
        return {
          ...base,
          userId: c.userId,
          status: "refused",
          reason: "sold-out",
          detail: "no units are left",
        } as Outcome;
      stock -= c.quantity;
      return {
        ...base,
        userId: c.userId,
        status: "accepted",
        result: {
          kind: "reserved",
          reservationId: c.reservationId,
          quantity: c.quantity,
          expiresAt: "2030-01-01T00:00:00.000Z",
        },
      } as Outcome;
    }
    if (c.type === "CancelReservation")
      return {
        ...base,
        userId: c.userId,
        status: "accepted",
        result: { kind: "cancelled", reservationId: c.reservationId },
      } as Outcome;
    if (c.type === "CloseSale") {
      // Like the decider: a second close changes nothing and answers "done".
      const result = closed ? { kind: "done" } : { kind: "closed" };
      closed = true;
      return { ...base, userId: null, status: "accepted", result } as Outcome;
    }
    if (c.type === "AddStock") {
      stock += c.quantity;
      return { ...base, userId: null, status: "accepted", result: { kind: "stock-added", stock } } as Outcome;
    }
    if (c.type === "PlaceOrder")
      return {
        ...base,
        userId: c.userId,
        status: "accepted",
        result: { kind: "order-placed", orderId: c.orderId, reservationId: c.reservationId },
      } as Outcome;
    return { ...base, userId: null, status: "accepted", result: { kind: "listed" } } as Outcome;
  };
  const deps: WriteApiDeps = {
    verify: makeTokenVerifier(SECRET),
    enqueue: (q) => {
      enqueued.push(q);
      if (opts.silent !== true) {
        const o = decide(q);
        outcomes.set(q.requestId, o);
        queueMicrotask(() => waiters.get(q.requestId)?.(o));
      }
      return TE.right({ partition: 0, offset: String(enqueued.length - 1) });
    },
    skuListed: async (skuId) => E.right(skuId === "tee"),
    availability: soldOutView(opts.soldOutView === true),
    idempotency,
    refs,
    outcomes: {
      replyTo: "replies:test",
      expect: (requestId, timeoutMs) =>
        new Promise((resolve) => {
          const t = setTimeout(() => resolve(null), timeoutMs);
          waiters.set(requestId, (o) => {
            clearTimeout(t);
            resolve(o);
          });
        }),
      read: async (requestId) => E.right(outcomes.get(requestId) ?? null),
    },
    rateLimits: null,
    waitBudgetMs: 50,
    newId: randomUUID,
    now: () => new Date(),
    logger: silentLogger(),
    ...opts.overrides,
  };
  return { deps, enqueued, app: makeWriteApi(deps) };
};
