import * as E from "fp-ts/lib/Either.js";
import { type Context, Hono } from "hono";
import { Identifier, type SkuCommandBody, Uuid } from "../event-schemas/index.ts";
import { type AuthEnv, authenticate } from "../infra/http/auth.ts";
import { problem, problemFor } from "../infra/http/problem.ts";
import { AddStockBody, ListSkuBody, PlaceOrderBody, ReserveBody } from "./bodies.ts";
import type { WriteApiDeps } from "./deps.ts";
import { idempotencyKeyOf, readJson, readNoBody } from "./request.ts";
import { asCloseAnswer, respondWithOutcome } from "./respond.ts";
import { edgeSoldOut } from "./sold-out.ts";
import { submit } from "./submit.ts";

const skuParam = (c: Context): string | null => {
  const skuId = c.req.param("skuId");
  return skuId !== undefined && Identifier.is(skuId) ? skuId : null;
};

/**
 * The write API (API.md "Write routes"): validation → 400, JWT → 401/403, rate limits → 429 (the
 * write-side token buckets, per shopper and per IP, checked by `submit` in the same Redis call as the
 * idempotency claim, see admission.ts; every route below that calls `submit` is limited), edge
 * refusals (unknown SKU 404, sold out with nothing available 409, see `sold-out.ts`), then `submit` (idempotency claim, enqueue,
 * wait for the outcome up to the budget, else 202). Also `GET /v1/requests/{requestId}`.
 */
export const makeWriteApi = (deps: WriteApiDeps): Hono<AuthEnv> => {
  const app = new Hono<AuthEnv>();
  const shopper = authenticate(deps.verify);
  const admin = authenticate(deps.verify, { admin: true });
  const bodyOpts = { deadlineMs: deps.bodyDeadlineMs };
  const overload = deps.overload;
  const nowMs = (): number => deps.now().getTime();
  // Overload is answered before any other work (token, Redis, Kafka): see overload.ts.
  if (overload !== undefined)
    app.use("/v1/*", (c, next) => (c.req.method === "GET" ? next() : overload(c, next)));

  app.post("/v1/skus", admin, async (c) => {
    const key = idempotencyKeyOf(c);
    if (E.isLeft(key)) return key.left;
    const body = await readJson(c, ListSkuBody, bodyOpts);
    if (E.isLeft(body)) return body.left;
    const b = body.right.value;
    return submit(c, deps, {
      requestId: deps.newId(),
      skuId: b.skuId,
      command: {
        type: "ListSku",
        skuId: b.skuId,
        name: b.name,
        description: b.description,
        priceCents: b.priceCents,
        currency: b.currency,
        stock: b.stock,
        perUserLimit: b.perUserLimit ?? 1,
        holdSeconds: b.holdSeconds ?? 120,
        saleStartsAt: b.saleStartsAt ?? null,
        saleEndsAt: b.saleEndsAt ?? null,
        tags: b.tags ?? [],
      } as SkuCommandBody,
      refs: { owner: c.get("principal").userId },
      idempotency: { scope: c.get("principal").userId, key: key.right, body: body.right.raw },
    });
  });

  const counted = (refusal: Response | null): Response | null => {
    if (refusal !== null) deps.edgeRefusal?.("sold-out");
    return refusal;
  };

  const refsUnavailable = (c: Context): Response => {
    c.header("Retry-After", "1");
    return problem(c, "unavailable", "the reference store did not answer; retry");
  };

  /** The SKU of an admin or shopper route, refused at the edge when it was never listed. */
  const listedSku = async (c: Context): Promise<E.Either<Response, string>> => {
    const skuId = skuParam(c);
    const listed = skuId === null ? E.right(false) : await deps.skuListed(skuId);
    if (E.isLeft(listed)) return E.left(problemFor(c, listed.left, "the SKU registry did not answer; retry"));
    if (skuId === null || !listed.right)
      return E.left(problem(c, "unknown-sku", `no SKU ${c.req.param("skuId")} is listed`));
    return E.right(skuId);
  };

  app.post("/v1/skus/:skuId/stock", admin, async (c) => {
    const key = idempotencyKeyOf(c);
    if (E.isLeft(key)) return key.left;
    const body = await readJson(c, AddStockBody, bodyOpts);
    if (E.isLeft(body)) return body.left;
    const sku = await listedSku(c);
    if (E.isLeft(sku)) return sku.left;
    return submit(c, deps, {
      requestId: deps.newId(),
      skuId: sku.right,
      command: { type: "AddStock", quantity: body.right.value.quantity },
      refs: { owner: c.get("principal").userId },
      idempotency: { scope: c.get("principal").userId, key: key.right, body: body.right.raw },
    });
  });

  app.post("/v1/skus/:skuId/close", admin, async (c) => {
    const key = idempotencyKeyOf(c);
    if (E.isLeft(key)) return key.left;
    const body = await readNoBody(c, bodyOpts);
    if (E.isLeft(body)) return body.left;
    const sku = await listedSku(c);
    if (E.isLeft(sku)) return sku.left;
    const res = await submit(c, deps, {
      requestId: deps.newId(),
      skuId: sku.right,
      command: { type: "CloseSale" },
      refs: { owner: c.get("principal").userId },
      idempotency: { scope: c.get("principal").userId, key: key.right, body: undefined },
    });
    return asCloseAnswer(c, sku.right, res);
  });

  app.post("/v1/skus/:skuId/reservations", shopper, async (c) => {
    const key = idempotencyKeyOf(c);
    if (E.isLeft(key)) return key.left;
    const body = await readJson(c, ReserveBody, bodyOpts);
    if (E.isLeft(body)) return body.left;
    const sku = await listedSku(c);
    if (E.isLeft(sku)) return sku.left;
    const userId = c.get("principal").userId;
    const reservationId = deps.newId();
    return submit(c, deps, {
      requestId: deps.newId(),
      skuId: sku.right,
      command: {
        type: "PlaceReservation",
        reservationId,
        userId,
        quantity: body.right.value.quantity,
        allowPartial: body.right.value.allowPartial ?? false,
      } as SkuCommandBody,
      refs: { owner: userId, reservation: { reservationId, skuId: sku.right } },
      idempotency: { scope: userId, key: key.right, body: body.right.raw },
      // An edge refusal is recorded as the key's answer by `submit`: a retry replays it, even after a
      // restock. The sold-out rule (nothing available, fresh figures, named revision): sold-out.ts.
      edge() {
        const look = edgeSoldOut(c, deps.availability, sku.right, nowMs);
        return look === null ? null : look.then(counted);
      },
    });
  });

  app.delete("/v1/reservations/:reservationId", shopper, async (c) => {
    const reservationId = c.req.param("reservationId");
    const body = await readNoBody(c, bodyOpts);
    if (E.isLeft(body)) return body.left;
    const found = Uuid.is(reservationId) ? await deps.refs.reservationSku(reservationId)() : E.right(null);
    if (E.isLeft(found)) return refsUnavailable(c);
    const skuId = found.right;
    if (skuId === null) return problem(c, "not-found", `no reservation ${reservationId}`);
    const userId = c.get("principal").userId;
    return submit(c, deps, {
      requestId: deps.newId(),
      skuId,
      command: { type: "CancelReservation", reservationId, userId } as SkuCommandBody,
      refs: { owner: userId },
      // DELETE is idempotent by nature (a second cancel is a 409 hold-not-active); no key needed.
      idempotency: null,
    });
  });

  app.post("/v1/orders", shopper, async (c) => {
    const key = idempotencyKeyOf(c);
    if (E.isLeft(key)) return key.left;
    const body = await readJson(c, PlaceOrderBody, bodyOpts);
    if (E.isLeft(body)) return body.left;
    const { reservationId, paymentToken } = body.right.value;
    const found = await deps.refs.reservationSku(reservationId)();
    if (E.isLeft(found)) return refsUnavailable(c);
    const skuId = found.right;
    if (skuId === null) return problem(c, "not-found", `no reservation ${reservationId}`);
    const userId = c.get("principal").userId;
    const orderId = deps.newId();
    return submit(c, deps, {
      requestId: deps.newId(),
      skuId,
      command: { type: "PlaceOrder", orderId, reservationId, userId, paymentToken } as SkuCommandBody,
      refs: { owner: userId, order: { orderId, skuId } },
      idempotency: { scope: userId, key: key.right, body: body.right.raw },
      pendingExtra: { orderId },
    });
  });

  app.get("/v1/requests/:requestId", shopper, async (c) => {
    const requestId = c.req.param("requestId");
    const found = Uuid.is(requestId) ? await deps.refs.requestOwner(requestId)() : E.right(null);
    if (E.isLeft(found)) return refsUnavailable(c);
    const owner = found.right;
    if (owner === null) return problem(c, "not-found", `no request ${requestId}`);
    const principal = c.get("principal");
    // Another shopper's request answers exactly like an unknown one, so ids cannot be probed.
    if (owner !== principal.userId && !principal.admin)
      return problem(c, "not-found", `no request ${requestId}`);
    const o = await deps.outcomes.read(requestId);
    if (E.isLeft(o)) return problemFor(c, o.left, "the outcome store did not answer; retry");
    return o.right === null ? c.json({ requestId, status: "pending" }, 200) : respondWithOutcome(c, o.right);
  });

  return app;
};
