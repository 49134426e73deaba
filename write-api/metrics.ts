import { Counter, Histogram, type Registry } from "prom-client";

/** The write API's own metrics (API.md): its phases, and the writes shed at once under overload. */
export const writeApiMetrics = (registry: Registry) => ({
  phases: new Histogram({
    name: "holdfast_write_phase_seconds",
    help: "Write path phases: enqueue (produce acknowledged), decision (enqueue to outcome)",
    labelNames: ["phase"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  shed: new Counter({
    name: "holdfast_write_shed_total",
    help: "Write requests answered 503 at once because a decision could not come within the wait budget",
    labelNames: ["reason"],
    registers: [registry],
  }),
});
