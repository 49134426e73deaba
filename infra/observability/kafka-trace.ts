import type { IHeaders } from "kafkajs";
import { parseTraceparent } from "./trace-context.ts";

/** The `traceparent` Kafka header for a trace context (none when `traceparent` is not a valid one). */
export const traceHeaders = (traceparent: string | null | undefined): IHeaders =>
  parseTraceparent(traceparent) === null ? {} : { traceparent: traceparent as string };

/** The valid `traceparent` a Kafka message carries in its headers, or null. */
export const traceparentOfHeaders = (headers: IHeaders | undefined): string | null => {
  const v = headers?.traceparent;
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return null;
  const text = Buffer.isBuffer(one) ? one.toString("utf8") : String(one);
  return parseTraceparent(text) === null ? null : text;
};
