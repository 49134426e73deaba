import { Counter, type Registry } from "prom-client";

/** The saga's Prometheus metrics: outcomes recorded, and gateway calls by result. */
export const makePaymentMetrics = (registry: Registry) => ({
  outcomes: new Counter({
    name: "holdfast_payment_outcomes_total",
    help: "Payment outcomes the saga recorded, by outcome (Succeeded, Failed, Unresolved).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  }),
  calls: new Counter({
    name: "holdfast_payment_gateway_calls_total",
    help: "Calls to the payment gateway, by call (charge, status) and result tag.",
    labelNames: ["call", "result"] as const,
    registers: [registry],
  }),
});
