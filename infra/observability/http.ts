import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Registry } from "prom-client";
import { sharedHistogram } from "./metrics.ts";
import type { Tracing } from "./tracing.ts";

/** Where the request's trace (its server span's `traceparent`) is kept on the hono context. */
const TRACEPARENT_VAR = "holdfast.traceparent";

/** The `traceparent` of the request being served (its server span), or null outside the middleware. */
export const requestTraceparent = (c: Context): string | null => {
  const v = (c as Context<{ Variables: Record<string, unknown> }>).get(TRACEPARENT_VAR);
  return typeof v === "string" ? v : null;
};

/** Latency buckets from 1 ms to 10 s: reserve P95 targets 120 ms, checkout 450 ms. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every HTTP process's first middleware: `holdfast_http_request_duration_seconds` (histogram; `method`,
 * `route` = the matched route pattern such as `/v1/skus/:skuId/reservations`, or `unmatched`, so raw ids
 * never become label values; `status`), and W3C trace context: the request's `traceparent` is accepted
 * (one is made when absent or malformed), a server span is started under it, and the span's `traceparent`
 * is echoed on the response and kept for the handler (`requestTraceparent`), so that a command carries it.
 */
export const httpObservability = (deps: {
  readonly registry: Registry;
  readonly tracing: Tracing;
}): MiddlewareHandler => {
  const duration = sharedHistogram(deps.registry, {
    name: "holdfast_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status, from the first byte read to the answer",
    labelNames: ["method", "route", "status"],
    buckets: HTTP_BUCKETS,
  });
  return async (c, next) => {
    const started = performance.now();
    const span = deps.tracing.start(`HTTP ${c.req.method}`, {
      kind: "server",
      parent: c.req.header("traceparent"),
    });
    (c as Context<{ Variables: Record<string, unknown> }>).set(TRACEPARENT_VAR, span.traceparent);
    await next();
    const pattern = routePath(c);
    // Only the catch-all middleware matched: no route (a 404 from notFound).
    const route = pattern === "" || pattern === "*" || pattern === "/*" ? "unmatched" : pattern;
    const status = c.res.status;
    try {
      c.res.headers.set("traceparent", span.traceparent);
    } catch {
      // An immutable response (a proxied fetch): the header cannot be added; the trace still ran.
    }
    duration.observe(
      { method: c.req.method, route, status: String(status) },
      (performance.now() - started) / 1000,
    );
    span.rename(`${c.req.method} ${route}`);
    span.setAttributes({
      "http.request.method": c.req.method,
      "http.route": route,
      "http.response.status_code": status,
    });
    if (status >= 500) span.fail(`HTTP ${status}`);
    span.end();
  };
};
