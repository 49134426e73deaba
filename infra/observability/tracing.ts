import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { childContext, formatTraceparent, parseTraceparent, type TraceContext } from "./trace-context.ts";

export type SpanKindName = "server" | "producer" | "consumer" | "internal" | "client";

/** One span in flight: its `traceparent` (what to propagate), and how to finish it. */
export interface SpanHandle {
  readonly traceparent: string;
  readonly traceId: string;
  setAttributes(attributes: Record<string, string | number | boolean>): void;
  rename(name: string): void;
  /** Marks the span failed (an error status with `message`). */
  fail(message: string): void;
  end(): void;
}

/**
 * Tracing for one process (OpenTelemetry). Enabled only when OTEL_EXPORTER_OTLP_ENDPOINT is configured:
 * spans are then exported over OTLP/HTTP in batches. Disabled, it only propagates W3C trace context —
 * `start` records nothing and returns the parent's `traceparent` unchanged (or a new one when there is
 * none), so it costs nothing but that. Nothing is registered globally: the composition root makes one and
 * passes it down.
 *
 * @example
 *   const span = tracing.start("produce holdfast.sku-commands.v1", { kind: "producer", parent: tp });
 *   try { await send(span.traceparent) } finally { span.end() }
 */
export interface Tracing {
  readonly enabled: boolean;
  start(
    name: string,
    opts: {
      readonly kind?: SpanKindName;
      /** A `traceparent` (header or envelope correlationId); anything invalid starts a new trace. */
      readonly parent: string | null | undefined;
      readonly attributes?: Record<string, string | number | boolean>;
    },
  ): SpanHandle;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

const kinds: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
  client: SpanKind.CLIENT,
};

/**
 * A span that records nothing. Its methods are shared (on the prototype), not made per span: every HTTP
 * request opens one.
 */
class PassThroughSpan implements SpanHandle {
  readonly traceparent: string;
  readonly traceId: string;
  constructor(ctx: TraceContext) {
    this.traceparent = formatTraceparent(ctx);
    this.traceId = ctx.traceId;
  }
  setAttributes(): void {}
  rename(): void {}
  fail(): void {}
  end(): void {}
}

const passThrough = (ctx: TraceContext): SpanHandle => new PassThroughSpan(ctx);

/** Propagation only: what every process runs when no OTLP endpoint is configured. */
export const disabledTracing = (): Tracing => ({
  enabled: false,
  start: (_name, opts) => {
    const parent = parseTraceparent(opts.parent);
    return parent === null ? passThrough(childContext(null, false)) : passThrough(parent);
  },
  shutdown: async () => undefined,
});

const recording = (span: Span): SpanHandle => {
  const ctx = span.spanContext();
  const traceparent = formatTraceparent({ traceId: ctx.traceId, spanId: ctx.spanId, flags: ctx.traceFlags });
  return {
    traceparent,
    traceId: ctx.traceId,
    setAttributes: (a) => {
      span.setAttributes(a);
    },
    rename: (name) => {
      span.updateName(name);
    },
    fail: (message) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    },
    end: () => span.end(),
  };
};

/** Tracing over a given OpenTelemetry tracer (tests pass one with an in-memory exporter). */
export const tracingWith = (tracer: Tracer, shutdown: () => Promise<void>): Tracing => ({
  enabled: true,
  start: (name, opts) => {
    const parent = parseTraceparent(opts.parent);
    const ctx =
      parent === null
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.spanId,
            traceFlags: parent.flags,
            isRemote: true,
          });
    const span = tracer.startSpan(
      name,
      {
        kind: kinds[opts.kind ?? "internal"],
        ...(opts.attributes === undefined ? {} : { attributes: opts.attributes }),
      },
      ctx,
    );
    return recording(span);
  },
  shutdown,
});

/**
 * The process's tracing: OTLP/HTTP export to `endpoint` (`OTEL_EXPORTER_OTLP_ENDPOINT`, spans go to
 * `<endpoint>/v1/traces`) when set, propagation only otherwise.
 */
export const makeTracing = (
  endpoint: string | null,
  opts: { readonly serviceName?: string } = {},
): Tracing => {
  if (endpoint === null) return disabledTracing();
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": opts.serviceName ?? "holdfast" }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return tracingWith(provider.getTracer("holdfast"), () => provider.shutdown());
};
