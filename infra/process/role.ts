import type { Hono } from "hono";
import type { Registry } from "prom-client";
import type { Config } from "../config/config.ts";
import type { ReadinessCheck } from "../http/operational-routes.ts";
import type { Logger } from "../observability/logger.ts";
import type { Tracing } from "../observability/tracing.ts";

/**
 * A process role (`write-api`, `read-api`, `command-handler`, `projector`, `payments`). Each role has one
 * composition root, `start(ctx)`, which builds its clients from `ctx` and returns what `holdfast serve`
 * needs: HTTP routes to mount on the shared port (read and write routes live together on
 * HOLDFAST_HTTP_PORT), readiness checks, and `stop()`.
 */
export interface RoleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: Registry;
  /** `holdfast serve --dev`: demo SKU, payment simulator, development secret. */
  readonly dev: boolean;
  /** OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT); absent: propagation only. */
  readonly tracing?: Tracing;
}

export interface RunningRole {
  /** Routes to mount under `/` on the shared HTTP server (none for background roles). */
  readonly app?: Hono;
  readonly readiness?: ReadonlyArray<ReadinessCheck>;
  stop(): Promise<void>;
}

export interface Role {
  readonly name: string;
  start(ctx: RoleContext): Promise<RunningRole>;
}
