import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { httpObservability, requestTraceparent } from "./http.ts";
import { makeRegistry } from "./metrics.ts";
import { parseTraceparent } from "./trace-context.ts";
import { disabledTracing } from "./tracing.ts";

const appWith = () => {
  const registry = makeRegistry({ defaults: false });
  const app = new Hono();
  app.use("*", httpObservability({ registry, tracing: disabledTracing() }));
  const sub = new Hono();
  sub.post("/v1/skus/:skuId/reservations", (c) => c.json({ seen: requestTraceparent(c) }, 201));
  app.route("/", sub);
  app.notFound((c) => c.json({ type: "/problems/not-found" }, 404));
  return { app, registry };
};

const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("httpObservability", () => {
  it("keeps the caller's trace, echoes it, and hands it to the route", async () => {
    const { app } = appWith();
    const r = await app.request("/v1/skus/tee/reservations", {
      method: "POST",
      headers: { traceparent: incoming },
    });
    expect(r.status).toBe(201);
    expect(r.headers.get("traceparent")).toBe(incoming);
    expect(((await r.json()) as { seen: string }).seen).toBe(incoming);
  });

  it("makes a trace when none (or a malformed one) comes in", async () => {
    const { app } = appWith();
    const cases: Array<Record<string, string>> = [
      {},
      { traceparent: "00-zz-00f067aa0ba902b7-01" },
      { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` },
    ];
    for (const headers of cases) {
      const r = await app.request("/v1/skus/tee/reservations", { method: "POST", headers });
      const made = parseTraceparent(r.headers.get("traceparent"));
      expect(made).not.toBeNull();
      expect(((await r.json()) as { seen: string }).seen).toBe(r.headers.get("traceparent"));
    }
    const a = await app.request("/v1/skus/tee/reservations", { method: "POST" });
    const b = await app.request("/v1/skus/tee/reservations", { method: "POST" });
    expect(parseTraceparent(a.headers.get("traceparent"))?.traceId).not.toBe(
      parseTraceparent(b.headers.get("traceparent"))?.traceId,
    );
  });

  it("labels latency by route pattern, never by raw path", async () => {
    const { app, registry } = appWith();
    await app.request("/v1/skus/tee/reservations", { method: "POST" });
    await app.request("/v1/skus/mug/reservations", { method: "POST" });
    await app.request("/no/such/route/123");
    const text = await registry.metrics();
    expect(text).toContain(
      'holdfast_http_request_duration_seconds_count{method="POST",route="/v1/skus/:skuId/reservations",status="201"} 2',
    );
    expect(text).toContain(
      'holdfast_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
    );
    expect(text).not.toMatch(/route="[^"]*(tee|mug|123)/);
  });
});
