import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { QueuedCommand } from "../../event-schemas/index.ts";
import type { Tracing } from "./tracing.ts";

/**
 * An enqueue inside a `produce` span (a child of the command's trace, its `correlationId`). The command
 * goes out with the produce span's `traceparent` as its correlationId, so the Kafka header, the handler's
 * span and every event the command causes hang under it. Tracing off: the enqueue itself, unchanged.
 */
export const tracedEnqueue =
  <L, A>(
    tracing: Tracing,
    topic: string,
    enqueue: (command: QueuedCommand) => TE.TaskEither<L, A>,
  ): ((command: QueuedCommand) => TE.TaskEither<L, A>) =>
  (command) => {
    if (!tracing.enabled) return enqueue(command);
    return async () => {
      const span = tracing.start(`produce ${topic}`, {
        kind: "producer",
        parent: command.correlationId,
        attributes: {
          "messaging.system": "kafka",
          "messaging.destination.name": topic,
          "holdfast.sku": command.skuId,
          "holdfast.request_id": command.requestId,
          "holdfast.command": command.command.type,
        },
      });
      const r = await enqueue({ ...command, correlationId: span.traceparent })();
      if (E.isLeft(r)) span.fail(JSON.stringify(r.left));
      span.end();
      return r;
    };
  };
