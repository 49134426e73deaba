import { Counter, Gauge, type Registry } from "prom-client";

/** The projector metrics, registered once per registry and labelled by projection. */
export interface ProjectionMetrics {
  readonly lagEvents: Gauge<"projection">;
  readonly lagSeconds: Gauge<"projection">;
  readonly checkpoint: Gauge<"projection">;
  readonly parked: Gauge<"projection">;
  readonly applied: Counter<"projection">;
  readonly failures: Counter<"projection">;
}

const cache = new WeakMap<Registry, ProjectionMetrics>();

export const projectionMetrics = (registry: Registry): ProjectionMetrics => {
  const known = cache.get(registry);
  if (known !== undefined) return known;
  const labelNames = ["projection"] as const;
  const m: ProjectionMetrics = {
    lagEvents: new Gauge({
      name: "holdfast_projection_lag_events",
      help: "Events in the feed after the projection's checkpoint (counted up to 10000)",
      labelNames,
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: "holdfast_projection_lag_seconds",
      help: "Age of the last applied event while the projection is behind the head (0 when caught up)",
      labelNames,
      registers: [registry],
    }),
    checkpoint: new Gauge({
      name: "holdfast_projection_checkpoint_position",
      help: "Global position of the last applied event",
      labelNames,
      registers: [registry],
    }),
    parked: new Gauge({
      name: "holdfast_projection_parked",
      help: "1 when the projection is parked on a poison event",
      labelNames,
      registers: [registry],
    }),
    applied: new Counter({
      name: "holdfast_projection_events_total",
      help: "Events applied (including revision-guarded no-ops)",
      labelNames,
      registers: [registry],
    }),
    failures: new Counter({
      name: "holdfast_projection_failures_total",
      help: "Failed apply attempts",
      labelNames,
      registers: [registry],
    }),
  };
  cache.set(registry, m);
  return m;
};
