import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from "prom-client";

/**
 * Prometheus metrics (prom-client). Each process owns one `Registry`, made by its composition root and
 * passed to whatever registers metrics on it; `/metrics` serves it.
 */
export const makeRegistry = (opts: { readonly defaults?: boolean } = {}): Registry => {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry });
  return registry;
};
export type { Registry };

const shared = <M>(registry: Registry, name: string, make: () => M): M =>
  (registry.getSingleMetric(name) as M | undefined) ?? make();

/**
 * The registry's counter of this name, registered on first use. Roles that run in one process share a
 * registry, and prom-client refuses a second metric of one name, so every metric more than one role (or
 * a restarted component) may register is made through these.
 *
 * @example const restarts = sharedCounter(registry, { name: "x_total", help: "…", labelNames: ["why"] });
 */
export const sharedCounter = <T extends string>(
  registry: Registry,
  config: Omit<CounterConfiguration<T>, "registers">,
): Counter<T> => shared(registry, config.name, () => new Counter<T>({ ...config, registers: [registry] }));

/** The registry's gauge of this name, registered on first use (see `sharedCounter`). */
export const sharedGauge = <T extends string>(
  registry: Registry,
  config: Omit<GaugeConfiguration<T>, "registers">,
): Gauge<T> => shared(registry, config.name, () => new Gauge<T>({ ...config, registers: [registry] }));

/** The registry's histogram of this name, registered on first use (see `sharedCounter`). */
export const sharedHistogram = <T extends string>(
  registry: Registry,
  config: Omit<HistogramConfiguration<T>, "registers">,
): Histogram<T> =>
  shared(registry, config.name, () => new Histogram<T>({ ...config, registers: [registry] }));
