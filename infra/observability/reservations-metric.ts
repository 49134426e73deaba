import type { Counter } from "prom-client";
import { type Registry, sharedCounter } from "./metrics.ts";

export type ReservationsCounter = Counter<"outcome" | "reason">;

/**
 * `holdfast_reservations_total` (API.md): reservation decisions by `outcome` (accepted | refused) and
 * `reason` (accepted: `full` or `partial`; refused: the refusal, as in the log). The command handler counts
 * what it appends; the write API counts the `sold-out` refusals it answers at the edge, which never reach
 * the log. One counter per registry, shared by both when they run in one process.
 */
export const reservationsCounter = (registry: Registry): ReservationsCounter =>
  sharedCounter(registry, {
    name: "holdfast_reservations_total",
    help: "Reservation decisions: accepted (reason full or partial) or refused (reason as in the log, or sold-out at the edge)",
    labelNames: ["outcome", "reason"],
  });
