import { randomUUID } from "node:crypto";
import type { QueuedCommand, SkuCommandBody } from "../../event-schemas/index.ts";

/** What a caller may set on a queued command; everything else follows from the request id. */
export interface QueuedCommandOptions {
  /** Default: a fresh UUID. */
  readonly requestId?: string;
  /** Default: the request id (the command starts its own causal chain). */
  readonly correlationId?: string;
  /** Default: the request id. */
  readonly causationId?: string;
  /** Where the handler publishes the outcome; default `null` (nobody waits). */
  readonly replyTo?: string | null;
  /** `issuedAt`; default the current time. */
  readonly now?: Date;
}

/**
 * The one way to build a command for the queue (`port.ts`). A command that starts its own causal chain
 * (the expiry scheduler, operators' tools, benchmarks) needs only its SKU and body: its request id is its
 * correlation and causation id. Callers continuing a chain name what they continue: the write API its
 * request's trace and reply channel, the saga the order's event, the sweeper itself.
 *
 * @example
 *   queuedCommand("tee", { type: "ExpireHolds" })
 *   queuedCommand("tee", body, { requestId, correlationId: traceparent, replyTo: "hf:replies:abc" })
 */
export const queuedCommand = (
  skuId: string,
  command: SkuCommandBody,
  opts: QueuedCommandOptions = {},
): QueuedCommand => {
  const requestId = opts.requestId ?? randomUUID();
  return {
    requestId: requestId as QueuedCommand["requestId"],
    skuId: skuId as QueuedCommand["skuId"],
    issuedAt: (opts.now ?? new Date()).toISOString() as QueuedCommand["issuedAt"],
    correlationId: opts.correlationId ?? requestId,
    causationId: opts.causationId ?? requestId,
    replyTo: opts.replyTo ?? null,
    command,
  };
};
