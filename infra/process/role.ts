import type { Hono } from "hono";
import type { Registry } from "prom-client";
import type { ConfigOf } from "../config/config.ts";
import type { SettingsSpec } from "../config/settings.ts";
import type { ReadinessCheck } from "../http/operational-routes.ts";
import type { Logger } from "../observability/logger.ts";
import type { Tracing } from "../observability/tracing.ts";

/**
 * A process role (`write-api`, `read-api`, `command-handler`, `projector`, `payments`, `checkpoints`).
 * Each role has one composition root, a `role.ts` beside its code, whose `start(ctx)` builds the role's
 * clients from its slice of the decoded config (`settings`, see infra/config) and returns what
 * `holdfast serve` needs: HTTP routes to mount on the shared port (read and write routes live together on
 * HOLDFAST_HTTP_PORT), readiness checks, and `stop()`. `holdfast serve` decodes the slices of the roles
 * it runs, and nothing else.
 */
export interface RoleContext<C = unknown> {
  readonly config: C;
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

export interface Role<S extends SettingsSpec = SettingsSpec> {
  readonly name: string;
  /** The config slices the role reads. */
  readonly settings: S;
  start(ctx: RoleContext<ConfigOf<S>>): Promise<RunningRole>;
}
