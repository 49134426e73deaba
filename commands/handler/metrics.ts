import { Counter, Histogram, type Registry } from "prom-client";

/** Commands and events decided are counted by `observability.ts` (labelled by SKU and type). */
export interface HandlerMetrics {
  readonly conflicts: Counter;
  readonly deadLetters: Counter;
  readonly chunkSeconds: Histogram;
  readonly chunkCommands: Histogram;
}

/** The command handler's Prometheus metrics, registered on the process registry. */
export const makeHandlerMetrics = (registry: Registry): HandlerMetrics => ({
  conflicts: new Counter({
    name: "holdfast_append_conflicts_total",
    help: "Appends refused for a wrong expected revision",
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: "holdfast_commands_dead_lettered_total",
    help: "Undecodable commands sent to the DLQ",
    registers: [registry],
  }),
  chunkSeconds: new Histogram({
    name: "holdfast_handler_chunk_seconds",
    help: "Time to decide, append and publish one chunk of one SKU",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  }),
  chunkCommands: new Histogram({
    name: "holdfast_handler_chunk_commands",
    help: "Commands in one chunk of one SKU (decided and appended together)",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [registry],
  }),
});
