import type * as TE from "fp-ts/lib/TaskEither.js";
import type { QueuedCommand } from "../../event-schemas/index.ts";

/**
 * Why a command could not be put on the queue. `UnknownSkuPartition`: the SKU has no partition yet (it
 * was never listed), so nothing can be decided for it; `QueueUnavailable`: the broker or the partition
 * registry did not answer (HTTP 503), and the command may or may not have been written.
 */
export type QueueError =
  | { readonly _tag: "UnknownSkuPartition"; readonly skuId: string }
  | { readonly _tag: "QueueUnavailable"; readonly message: string };

/** Where a command landed: its SKU's partition and its offset there (a decimal string, as Kafka gives it). */
export interface QueuePosition {
  readonly partition: number;
  readonly offset: string;
}

/**
 * The command queue: the one way into the serialized per-SKU command handler. Each SKU has its own
 * partition of `holdfast.sku-commands.v1` (assigned when the SKU is listed: enqueueing a `ListSku` for a
 * new SKU assigns it), so commands of one SKU are decided in the order `enqueue` resolves, and a hot SKU
 * never delays another. Resolves once the broker has acknowledged the write on every in-sync replica
 * (idempotent producer), so a resolved command is never lost; the decision arrives later, on
 * `command.replyTo` and under the outcome key (`event-schemas/outcome.ts`).
 *
 * The one enqueue port: the write API, the expiry scheduler, the sweeper (projections/) and the payment
 * saga all take it, which is why it lives in infra/ rather than commands/; the Kafka adapter is
 * `kafka.ts` beside it (opened with `openCommandQueue`, open.ts). Build the command with
 * `queuedCommand` (`queued-command.ts`).
 *
 * @example
 *   const r = await queue.enqueue(queuedCommand("tee", { type: "ExpireHolds" }))();
 */
export interface CommandQueue {
  enqueue(command: QueuedCommand): TE.TaskEither<QueueError, QueuePosition>;
}
