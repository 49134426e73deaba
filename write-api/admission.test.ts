import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { Outcome, QueuedCommand } from "../event-schemas/index.ts";
import { makeTokenVerifier, signToken } from "../infra/http/auth.ts";
import { silentLogger } from "../infra/observability/logger.ts";
import { makeMemoryIdempotency } from "../infra/redis/idempotency.ts";
import { leaseMsFor } from "./admission.ts";
import { makeWriteApi } from "./app.ts";
import type { WriteApiDeps } from "./deps.ts";

/** The projection's figures of SKU tee: nothing left and nothing held, or plenty left. */
const figures = (soldOut: boolean) => ({
  skuId: "tee",
  revision: 3,
  total: 5,
  available: soldOut ? 0 : 5,
  held: 0,
  sold: soldOut ? 5 : 0,
  closed: false,
  saleStartsAt: null,
  saleEndsAt: null,
  nextReleaseAt: null,
  source: "view" as const,
});

const SECRET = "unit-test-secret-0123456789";

/**
 * The claim → enqueue path: an enqueue that failed (or a process that died after claiming) leaves the
 * claim `claimed`; the retry with the same key enqueues the SAME request id again once the lease is
 * over. An edge refusal is the key's answer for good.
 */
const backend = () => {
  let clock = 1_000_000;
  const enqueued: QueuedCommand[] = [];
  const outcomes = new Map<string, Outcome>();
  const view = { soldOut: false };
  const queue = { failNext: 0 };
  const { idempotency, refs } = makeMemoryIdempotency({
    nowMs: () => clock,
    decided: (id) => outcomes.has(id),
  });
  const deps: WriteApiDeps = {
    verify: makeTokenVerifier(SECRET),
    enqueue: (q) => {
      if (queue.failNext > 0) {
        queue.failNext--;
        return TE.left({ _tag: "QueueUnavailable", message: "broker down" });
      }
      enqueued.push(q);
      const c = q.command as { reservationId: string; userId: string; quantity: number };
      if (!outcomes.has(q.requestId))
        outcomes.set(q.requestId, {
          requestId: q.requestId,
          skuId: q.skuId,
          decidedAt: new Date().toISOString(),
          revision: enqueued.length,
          userId: c.userId,
          status: "accepted",
          result: {
            kind: "reserved",
            reservationId: c.reservationId,
            quantity: c.quantity,
            expiresAt: "2030-01-01T00:00:00.000Z",
          },
        } as Outcome);
      return TE.right({ partition: 0, offset: String(enqueued.length - 1) });
    },
    skuListed: async () => E.right(true),
    availability: {
      hint: () => figures(view.soldOut),
      fresh: async () => E.right(figures(view.soldOut)),
    },
    idempotency,
    refs,
    outcomes: {
      replyTo: "replies:test",
      expect: async (requestId) => outcomes.get(requestId) ?? null,
      read: async (requestId) => E.right(outcomes.get(requestId) ?? null),
    },
    rateLimits: null,
    waitBudgetMs: 50,
    newId: randomUUID,
    now: () => new Date(),
    logger: silentLogger(),
  };
  return {
    app: makeWriteApi(deps),
    enqueued,
    view,
    queue,
    advance: (ms: number) => {
      clock += ms;
    },
  };
};

let alice: string;
beforeEach(async () => {
  alice = await signToken(SECRET, { userId: "alice" });
});

const reserve = (app: ReturnType<typeof backend>["app"], key: string, quantity = 1) =>
  app.request("/v1/skus/tee/reservations", {
    method: "POST",
    headers: { Authorization: `Bearer ${alice}`, "Content-Type": "application/json", "Idempotency-Key": key },
    body: JSON.stringify({ quantity }),
  });

describe("claim → enqueue", () => {
  it("a failed enqueue answers 503 with Retry-After; the retry after the lease enqueues the same request id", async () => {
    const b = backend();
    b.queue.failNext = 1;
    const first = await reserve(b.app, "k-1");
    expect(first.status).toBe(503);
    expect(first.headers.get("Retry-After")).toBe("1");
    expect(await first.json()).toMatchObject({ type: "/problems/unavailable" });
    expect(b.enqueued).toHaveLength(0);
    b.advance(leaseMsFor(50) + 1);
    const retry = await reserve(b.app, "k-1");
    expect(retry.status).toBe(201);
    expect(b.enqueued).toHaveLength(1);
    const again = await reserve(b.app, "k-1");
    expect(await again.json()).toEqual(await retry.clone().json());
    expect(b.enqueued).toHaveLength(1);
  });

  it("a retry within the lease of a claim that never reached the queue waits, and never answers 202", async () => {
    const b = backend();
    b.queue.failNext = 1;
    expect((await reserve(b.app, "k-2")).status).toBe(503);
    const retry = await reserve(b.app, "k-2");
    // The clock did not move: the first request might still be enqueueing, so this is no `pending`.
    expect(retry.status).toBe(503);
    expect(b.enqueued).toHaveLength(0);
  });

  it("an edge refusal is the key's answer: replayed after a restock, nothing enqueued; a new key goes on", async () => {
    const b = backend();
    b.view.soldOut = true;
    const first = await reserve(b.app, "k-3");
    expect(first.status).toBe(409);
    const body = await first.json();
    expect(body).toMatchObject({ type: "/problems/sold-out" });
    b.view.soldOut = false; // restocked
    const replay = await reserve(b.app, "k-3");
    expect(replay.status).toBe(409);
    expect(replay.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await replay.json()).toEqual(body);
    expect(b.enqueued).toHaveLength(0);
    expect((await reserve(b.app, "k-3", 2)).status).toBe(422);
    expect((await reserve(b.app, "k-4")).status).toBe(201);
  });
});
