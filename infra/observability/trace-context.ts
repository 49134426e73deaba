import { randomFillSync } from "node:crypto";

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header,
 * `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`. holdfast carries it from the HTTP request
 * through the command's Kafka headers to the events the command caused: it is the command's
 * `correlationId`, so every event's envelope records the trace of the request that caused it, and the
 * relay puts it on the integration-topic message.
 */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  /** Bit 0: sampled. */
  readonly flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A valid `traceparent`, or null (absent, malformed, all-zero ids, version ff). */
export const parseTraceparent = (header: string | null | undefined): TraceContext | null => {
  if (header === null || header === undefined || header.length > 512) return null;
  const m = TRACEPARENT.exec(header.trim());
  if (m === null) return null;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version 00 has exactly four fields; a later version may append more (the spec says parse the first four).
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
};

export const formatTraceparent = (t: TraceContext): string =>
  `00-${t.traceId}-${t.spanId}-${(t.flags & 0xff).toString(16).padStart(2, "0")}`;

/** A new span id in `parent`'s trace, or a new trace (sampled when `sampled`) when there is no parent. */
// Span and trace ids are cut from one pool of CSPRNG bytes refilled every 4 KiB: a `randomBytes` call
// per request (every HTTP request opens a span) was ~4 % of the write API's CPU under load.
const POOL = Buffer.allocUnsafe(4096);
let poolAt = POOL.length;
const randomHex = (n: number): string => {
  if (poolAt + n > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const hex = POOL.toString("hex", poolAt, poolAt + n);
  poolAt += n;
  return hex;
};

export const childContext = (parent: TraceContext | null, sampled: boolean): TraceContext => {
  const bytes = randomHex(parent === null ? 24 : 8);
  return parent === null
    ? { traceId: bytes.slice(16), spanId: bytes.slice(0, 16), flags: sampled ? 1 : 0 }
    : { traceId: parent.traceId, spanId: bytes, flags: parent.flags };
};

/** The trace id of a `traceparent` string (e.g. an envelope's correlationId), or null. */
export const traceIdOf = (traceparent: string | null | undefined): string | null =>
  parseTraceparent(traceparent)?.traceId ?? null;
