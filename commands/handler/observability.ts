import * as E from "fp-ts/lib/Either.js";
import type { Registry } from "prom-client";
import type { SkuState } from "../../domain/sku/index.ts";
import { type EventEnvelope, skuIdOf } from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import { sharedCounter, sharedGauge } from "../../infra/observability/metrics.ts";
import { reservationsCounter } from "../../infra/observability/reservations-metric.ts";
import { traceIdOf } from "../../infra/observability/trace-context.ts";
import type { SpanHandle, Tracing } from "../../infra/observability/tracing.ts";
import type { QueuedItem, Reply } from "./decide-chunk.ts";

/** What the handler knows of one partition's backlog, for the queue lag and age gauges. */
export interface LaneBacklog {
  readonly skuId: string | null;
  /** Commands on the partition after the last decided one (high watermark − decided − 1). */
  readonly lag: number;
  /** `issuedAt` of the oldest command fetched and not yet decided, or null. */
  readonly oldestIssuedAt: string | null;
}

/**
 * The operator's view of the command handler (API.md "Metrics"): command-queue lag and the age of the
 * oldest undecided command per SKU, reservations by outcome and reason, units per SKU and state,
 * invariant breaches, commands and events by SKU and type; plus one `decide+append` span per command
 * (a child of the command's `traceparent` header) and a debug log line per decided command carrying its
 * trace id. Everything the handler calls here is O(commands of the chunk); the gauges are read on scrape.
 */
export interface HandlerObservability {
  /** The event store with appends counted (events by SKU and type, reservations by outcome and reason). */
  observeStore(store: EventStore): EventStore;
  /** Run one chunk's decide+append inside its commands' spans; log each command's decision. */
  traced<L, R extends { readonly replies: ReadonlyArray<Reply> }>(
    skuId: string,
    chunk: ReadonlyArray<QueuedItem>,
    run: () => Promise<E.Either<L, R>>,
  ): Promise<E.Either<L, R>>;
  /** After a chunk is appended and published: units, invariants, commands decided. */
  chunkDecided(skuId: string, state: SkuState, chunk: ReadonlyArray<QueuedItem>): void;
  /** Where the queue gauges read the handler's lanes from (set once the handler runs). */
  backlogFrom(read: () => Iterable<LaneBacklog>): void;
}

export const makeHandlerObservability = (deps: {
  readonly registry: Registry;
  readonly tracing: Tracing;
  readonly logger: Logger;
  readonly nowMs?: () => number;
}): HandlerObservability => {
  const { registry, tracing, logger } = deps;
  const nowMs = deps.nowMs ?? Date.now;
  let backlog: () => Iterable<LaneBacklog> = () => [];

  const commands = sharedCounter(registry, {
    name: "holdfast_commands_decided_total",
    help: "Commands decided or re-answered, by SKU and command type",
    labelNames: ["sku", "command"],
  });
  const events = sharedCounter(registry, {
    name: "holdfast_events_appended_total",
    help: "Events appended by the handler, by SKU and event type",
    labelNames: ["sku", "type"],
  });
  const reservations = reservationsCounter(registry);
  const units = sharedGauge(registry, {
    name: "holdfast_units",
    help: "Units of a SKU by state, as the command handler last decided them",
    labelNames: ["sku", "state"],
  });
  const violations = sharedCounter(registry, {
    name: "holdfast_invariant_violations_total",
    help: "Stock or per-shopper invariants found broken after a decision (must stay 0)",
    labelNames: ["invariant"],
  });
  // Exposed at 0 from the start, so an alert on it sees a series (and `increase()` sees the first breach).
  for (const invariant of ["stock", "per-user-limit"]) violations.inc({ invariant }, 0);

  sharedGauge(registry, {
    name: "holdfast_command_queue_lag",
    help: "Commands on the SKU's partition not yet decided by this handler",
    labelNames: ["sku"],
    collect() {
      this.reset();
      for (const l of backlog()) if (l.skuId !== null) this.set({ sku: l.skuId }, Math.max(0, l.lag));
    },
  });
  sharedGauge(registry, {
    name: "holdfast_command_queue_oldest_age_seconds",
    help: "Age of the oldest command fetched and not yet decided, per SKU (0 when none waits)",
    labelNames: ["sku"],
    collect() {
      this.reset();
      const now = nowMs();
      for (const l of backlog()) {
        if (l.skuId === null) continue;
        const issued = l.oldestIssuedAt === null ? Number.NaN : Date.parse(l.oldestIssuedAt);
        this.set({ sku: l.skuId }, Number.isNaN(issued) ? 0 : Math.max(0, (now - issued) / 1000));
      }
    },
  });

  const breach = (invariant: string, skuId: string, detail: Record<string, unknown>) => {
    violations.inc({ invariant });
    logger.error({ invariant, skuId, ...detail }, "invariant violated after a decision");
  };

  /** The `holdfast_reservations_total` labels of an appended event, or null for other events. */
  const reservationLabels = (e: EventEnvelope): { outcome: string; reason: string } | null => {
    if (e.type === "ReservationPlaced") {
      const d = e.data as { quantity?: number; quantityRequested?: number };
      const partial = d.quantityRequested !== undefined && d.quantity !== d.quantityRequested;
      return { outcome: "accepted", reason: partial ? "partial" : "full" };
    }
    if (e.type === "ReservationRejected")
      return { outcome: "refused", reason: String((e.data as { reason?: unknown }).reason) };
    return null;
  };

  /** One labelled `inc` per label set and append, not one per event (prom-client hashes labels per call). */
  const countAppended = (sku: string, envelopes: ReadonlyArray<EventEnvelope>): void => {
    const byType = new Map<string, number>();
    const byReservation = new Map<string, { outcome: string; reason: string; n: number }>();
    for (const e of envelopes) {
      byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      const labels = reservationLabels(e);
      if (labels === null) continue;
      const key = `${labels.outcome} ${labels.reason}`;
      const seen = byReservation.get(key);
      if (seen === undefined) byReservation.set(key, { ...labels, n: 1 });
      else seen.n += 1;
    }
    for (const [type, n] of byType) events.inc({ sku, type }, n);
    for (const { outcome, reason, n } of byReservation.values()) reservations.inc({ outcome, reason }, n);
  };

  return {
    observeStore: (store) => {
      const observed = Object.create(store) as EventStore;
      Object.defineProperty(observed, "append", {
        value: ((streamId, expected, envelopes) => async () => {
          const r = await store.append(streamId, expected, envelopes)();
          if (E.isRight(r)) countAppended(skuIdOf(streamId) ?? streamId, envelopes);
          return r;
        }) satisfies EventStore["append"],
      });
      return observed;
    },

    traced: async (skuId, chunk, run) => {
      const spans: SpanHandle[] | null = tracing.enabled
        ? chunk.map((item) =>
            tracing.start("decide+append", {
              kind: "consumer",
              parent: item.traceparent ?? item.queued.correlationId,
              attributes: {
                "holdfast.sku": skuId,
                "holdfast.request_id": item.queued.requestId,
                "holdfast.command": item.queued.command.type,
                "messaging.kafka.offset": item.position,
              },
            }),
          )
        : null;
      const r = await run();
      if (E.isLeft(r)) for (const s of spans ?? []) s.fail("append failed");
      else if (logger.isLevelEnabled("debug"))
        r.right.replies.forEach((reply, i) => {
          const item = chunk[i];
          if (item === undefined) return;
          const o = reply.outcome;
          logger.debug(
            {
              skuId,
              requestId: item.queued.requestId,
              command: item.queued.command.type,
              position: item.position,
              status: o.status,
              ...(o.status === "refused" ? { reason: o.reason } : {}),
              trace_id: traceIdOf(item.traceparent ?? item.queued.correlationId),
              traceparent: item.traceparent ?? null,
            },
            "command decided",
          );
        });
      for (const s of spans ?? []) s.end();
      return r;
    },

    chunkDecided: (skuId, state, chunk) => {
      // Counted per command type first: one labelled `inc` per type and chunk, not one per command.
      const byType = new Map<string, number>();
      for (const item of chunk)
        byType.set(item.queued.command.type, (byType.get(item.queued.command.type) ?? 0) + 1);
      for (const [command, n] of byType) commands.inc({ sku: skuId, command }, n);
      if (state._tag !== "Listed") return;
      const available = state.stock - state.held - state.sold;
      units.set({ sku: skuId, state: "available" }, available);
      units.set({ sku: skuId, state: "held" }, state.held);
      units.set({ sku: skuId, state: "sold" }, state.sold);
      if (state.held < 0 || state.sold < 0 || available < 0)
        breach("stock", skuId, { stock: state.stock, held: state.held, sold: state.sold });
      const limit = state.terms.perUserLimit;
      const seen = new Set<string>();
      for (const item of chunk) {
        const c = item.queued.command;
        if (!("userId" in c) || seen.has(c.userId)) continue;
        seen.add(c.userId);
        const used = state.usage.get(c.userId) ?? 0;
        if (used > limit) breach("per-user-limit", skuId, { userId: c.userId, used, limit });
      }
    },

    backlogFrom: (read) => {
      backlog = read;
    },
  };
};
