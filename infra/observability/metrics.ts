import { Registry, collectDefaultMetrics } from "prom-client";

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
