import { Hono } from "hono";
import type { Registry } from "prom-client";

/**
 * A named readiness probe: resolves to `null` when ready, or to a short reason when not. A probe that is
 * ready but has something an operator should see (e.g. parked SKUs) resolves to `{ detail }`.
 */
export type ReadinessCheck = {
  readonly name: string;
  readonly check: () => Promise<string | null | { readonly detail: string }>;
};

/**
 * `GET /health/live`, `GET /health/ready` and `GET /metrics`, which every process serves.
 * Readiness runs every check (each bounded by `timeoutMs`) and answers 503 with the failing ones.
 */
export const operationalRoutes = (deps: {
  readonly registry: Registry;
  readonly checks: ReadonlyArray<ReadinessCheck>;
  readonly timeoutMs?: number;
}) => {
  const app = new Hono();
  const timeoutMs = deps.timeoutMs ?? 2000;
  app.get("/health/live", (c) => c.json({ status: "live" }));
  app.get("/health/ready", async (c) => {
    const results = await Promise.all(
      deps.checks.map(async ({ name, check }) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
        });
        try {
          const reason = await Promise.race([check().catch((e: unknown) => String(e)), timeout]);
          if (reason !== null && typeof reason === "object") return { name, ok: true, detail: reason.detail };
          return { name, ok: reason === null, ...(reason === null ? {} : { reason }) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    return c.json({ status: ok ? "ready" : "not-ready", checks: results }, ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    c.header("Content-Type", deps.registry.contentType);
    return c.body(await deps.registry.metrics());
  });
  return app;
};
