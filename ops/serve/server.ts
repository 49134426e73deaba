import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { ConfigOf } from "../../infra/config/config.ts";
import type { SettingsSpec } from "../../infra/config/settings.ts";
import type { ReadinessCheck } from "../../infra/http/operational-routes.ts";
import { operationalRoutes } from "../../infra/http/operational-routes.ts";
import { problem } from "../../infra/http/problem.ts";
import { httpObservability } from "../../infra/observability/http.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import { disabledTracing, type Tracing } from "../../infra/observability/tracing.ts";
import { LISTEN_BACKLOG, serveSharedListener } from "./acceptor.ts";
import { openApiDocument } from "./openapi.ts";
import type { Role, RoleContext, RunningRole } from "../../infra/process/role.ts";

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The one HTTP app of a process: the operational routes, `/openapi.json`, every role's routes, and a
 * problem for an unknown route or an unhandled error. Tests compose it the same way.
 */
export const composeHttpApp = (deps: {
  readonly apps: ReadonlyArray<Hono>;
  readonly registry: Registry;
  readonly checks: ReadonlyArray<ReadinessCheck>;
  readonly logger: Logger;
  /** W3C trace context and OpenTelemetry spans (propagation only when absent). */
  readonly tracing?: Tracing;
}): Hono => {
  const app = new Hono();
  // First: every route's latency by route pattern, and its trace (infra/observability/http.ts).
  app.use("*", httpObservability({ registry: deps.registry, tracing: deps.tracing ?? disabledTracing() }));
  app.route("/", operationalRoutes({ registry: deps.registry, checks: deps.checks }));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  for (const a of deps.apps) app.route("/", a);
  app.notFound((c) => problem(c, "not-found", `no route ${c.req.method} ${c.req.path}`));
  app.onError((e, c) => {
    deps.logger.error({ err: e, path: c.req.path }, "unhandled error");
    // Mostly a dependency that failed mid-request (e.g. PostgreSQL behind the partition registry).
    c.header("Retry-After", "1");
    return problem(c, "unavailable", "internal error");
  });
  return app;
};

/**
 * Start the roles, then one HTTP server on `port` serving every role's routes together with
 * /health/live, /health/ready, /metrics and /openapi.json. A role that fails to start stops the ones
 * already started and rejects. With `shared` (an HTTP worker of `--workers`) the server does not
 * listen itself: it serves the connections taken on the primary's listening socket (acceptor.ts).
 */
export const startServer = async (
  roles: ReadonlyArray<Role>,
  /** `config`: the decoded slices of every role in `roles` (`holdfast serve` decodes exactly those). */
  ctx: RoleContext<ConfigOf<SettingsSpec>>,
  opts: { readonly port: number; readonly hostname: string; readonly shared?: boolean },
): Promise<RunningServer> => {
  const running: Array<{ name: string; role: RunningRole }> = [];
  const stopRoles = async (which: (r: RunningRole) => boolean = () => true) => {
    for (const { name, role } of [...running].reverse().filter((r) => which(r.role))) {
      try {
        await role.stop();
      } catch (e) {
        ctx.logger.error({ err: e, role: name }, "role did not stop cleanly");
      }
    }
  };
  try {
    for (const role of roles) {
      ctx.logger.info({ role: role.name }, "starting role");
      running.push({ name: role.name, role: await role.start(ctx) });
    }
  } catch (e) {
    await stopRoles();
    throw e;
  }
  const checks: ReadinessCheck[] = running.flatMap(({ name, role }) =>
    (role.readiness ?? []).map((c) => ({ name: `${name}:${c.name}`, check: c.check })),
  );
  const app = composeHttpApp({
    apps: running.flatMap(({ role }) => (role.app === undefined ? [] : [role.app])),
    registry: ctx.registry,
    checks,
    logger: ctx.logger,
    ...(ctx.tracing === undefined ? {} : { tracing: ctx.tracing }),
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: opts.hostname }) as Server;
  const shared = opts.shared === true ? serveSharedListener(server) : null;
  if (shared === null)
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: opts.port, host: opts.hostname, backlog: LISTEN_BACKLOG }, resolve);
    });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : opts.port;
  ctx.logger.info({ port, roles: running.map((r) => r.name) }, "holdfast serving");
  return {
    port,
    stop: async () => {
      const closed =
        shared === null ? new Promise<void>((resolve) => server.close(() => resolve())) : shared.close();
      // A shared server never listened: close() only stops its connection tracking (acceptor.ts).
      if (shared !== null) server.close();
      // Keep-alive connections would hold close() open: drop the idle ones, give busy ones 5 s.
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      // Background roles (command handler, projector, payments) serve no routes: they stop at once, so
      // a SIGTERMed handler leaves its consumer group (and hands its partitions over) without waiting
      // for HTTP connections to drain.
      const background = stopRoles((r) => r.app === undefined);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
      await background;
      await stopRoles((r) => r.app !== undefined);
    },
  };
};
