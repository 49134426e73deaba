import { Uuid } from "../../event-schemas/index.ts";
import * as E from "fp-ts/lib/Either.js";
import { Hono, type MiddlewareHandler } from "hono";
import { type AuthEnv, authenticate, type Principal } from "../../infra/http/auth.ts";
import { problem, problemFor } from "../../infra/http/problem.ts";
import {
  getOrder,
  getReservation,
  type OrderView,
  ordersOf,
  ordersRevisionOf,
} from "../../projections/orders/queries.ts";
import type { ReadApiDeps } from "../deps.ts";
import { awaitMinRevision } from "../guards.ts";

/**
 * Reservations and orders, owner only. Another shopper's reservation or order answers 404 exactly like
 * one that does not exist, so ids cannot be probed for existence (admins may read any). Served from the
 * PostgreSQL order views.
 */
export const orderRoutes = (deps: ReadApiDeps, limit: MiddlewareHandler) => {
  const app = new Hono<AuthEnv>();
  const auth = authenticate(deps.verify);
  const pgRevision = async (skuId: string) => {
    const r = await ordersRevisionOf(deps.pool, skuId)();
    return E.isRight(r) ? r.right : null;
  };
  const mayRead = (p: Principal, ownerId: string) => p.admin || p.userId === ownerId;
  const orderBody = (o: OrderView) => ({
    orderId: o.orderId,
    reservationId: o.reservationId,
    skuId: o.skuId,
    quantity: o.quantity,
    amountCents: o.amountCents,
    currency: o.currency,
    status: o.status,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  });

  app.get("/v1/reservations/:reservationId", limit, auth, async (c) => {
    const id = c.req.param("reservationId");
    if (!Uuid.is(id)) return problem(c, "not-found", "no such reservation");
    const behind = await awaitMinRevision(c, deps, pgRevision);
    if (behind !== null) return behind;
    const r = await getReservation(deps.pool, id)();
    if (E.isLeft(r)) return problemFor(c, r.left, "the order view is unavailable; retry");
    if (r.right === null || !mayRead(c.get("principal"), r.right.userId))
      return problem(c, "not-found", "no such reservation");
    return c.json(r.right);
  });

  app.get("/v1/orders/:orderId", limit, auth, async (c) => {
    const id = c.req.param("orderId");
    if (!Uuid.is(id)) return problem(c, "not-found", "no such order");
    const behind = await awaitMinRevision(c, deps, pgRevision);
    if (behind !== null) return behind;
    const r = await getOrder(deps.pool, id)();
    if (E.isLeft(r)) return problemFor(c, r.left, "the order view is unavailable; retry");
    if (r.right === null || !mayRead(c.get("principal"), r.right.userId))
      return problem(c, "not-found", "no such order");
    return c.json(orderBody(r.right));
  });

  app.get("/v1/me/orders", limit, auth, async (c) => {
    const behind = await awaitMinRevision(c, deps, pgRevision);
    if (behind !== null) return behind;
    const r = await ordersOf(deps.pool, c.get("principal").userId)();
    if (E.isLeft(r)) return problemFor(c, r.left, "the order view is unavailable; retry");
    return c.json({ items: r.right.map(orderBody) });
  });
  return app;
};
