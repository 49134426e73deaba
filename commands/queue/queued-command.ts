import { randomUUID } from "node:crypto";
import type { QueuedCommand, SkuCommandBody } from "../../event-schemas/index.ts";

/**
 * A command that starts its own causal chain (the expiry scheduler, operators' tools, benchmarks): its
 * request id is its correlation and causation id.
 *
 * @example queuedCommand("tee", { type: "ExpireHolds" })
 */
export const queuedCommand = (
  skuId: string,
  command: SkuCommandBody,
  opts: { readonly requestId?: string; readonly replyTo?: string | null; readonly now?: Date } = {},
): QueuedCommand => {
  const requestId = opts.requestId ?? randomUUID();
  return {
    requestId: requestId as QueuedCommand["requestId"],
    skuId: skuId as QueuedCommand["skuId"],
    issuedAt: (opts.now ?? new Date()).toISOString() as QueuedCommand["issuedAt"],
    correlationId: requestId,
    causationId: requestId,
    replyTo: opts.replyTo ?? null,
    command,
  };
};
