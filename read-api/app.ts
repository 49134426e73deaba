import { Hono } from "hono";
import type { ReadApiDeps } from "./deps.ts";
import { readRateLimit } from "./guards.ts";
import { availabilityRoutes } from "./routes/availability.ts";
import { orderRoutes } from "./routes/orders.ts";
import { productRoutes } from "./routes/products.ts";

/**
 * The read API (hono): every read route of API.md except `GET /v1/requests/{id}` (write path). Mounted
 * by `holdfast serve` beside the write routes on one port, so the read rate limit is attached to each
 * GET route, never as path middleware that would also catch the write routes on the same paths.
 */
export const makeReadApp = (deps: ReadApiDeps): Hono => {
  const app = new Hono();
  const limit = readRateLimit(deps);
  app.route("/", availabilityRoutes(deps, limit));
  app.route("/", productRoutes(deps, limit));
  app.route("/", orderRoutes(deps, limit));
  return app;
};
