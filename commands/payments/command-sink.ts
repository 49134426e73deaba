import type * as TE from "fp-ts/lib/TaskEither.js";
import type { QueuedCommand } from "../../event-schemas/index.ts";

/**
 * Where the saga sends the commands that settle an order (RecordPaymentSucceeded/Failed/Unresolved).
 * In production this is the command queue (`commands/queue/port.ts`, `CommandQueue.enqueue`), which is
 * assignable to it; tests may use `testing/direct-append-sink.ts`. Enqueueing the same command twice is
 * safe: the saga's request ids are derived from the order id, and the serialized handler refuses a
 * request it already decided.
 */
export interface CommandSink {
  enqueue(command: QueuedCommand): TE.TaskEither<{ readonly _tag: string }, unknown>;
}
