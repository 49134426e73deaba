import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Logger } from "../../infra/observability/logger.ts";
import type { OutcomeStoreError } from "../../infra/redis/outcomes.ts";
import type { EdgeView } from "../../infra/redis/edge-availability.ts";
import type { Reply } from "./decide-chunk.ts";

/**
 * Publishes each chunk's outcomes in the background, in chunk order, so the next chunk is decided and
 * appended while the previous chunk's outcomes travel to Redis. A failed publish is retried (every
 * `retryMs`) until it succeeds or, after the handler stops, fails once more; the promise says whether the outcomes got out, and
 * only then may the chunk's offsets be committed (a crash before that redelivers the commands, which
 * are answered again from the recorded outcomes).
 */
export interface OutcomePublisher {
  /** Resolves `true` once these outcomes (and every earlier chunk's) are published, `false` if stopped first. */
  publish(replies: ReadonlyArray<Reply>, view: EdgeView | null): Promise<boolean>;
  stop(): void;
}

export const makeOutcomePublisher = (
  send: (replies: ReadonlyArray<Reply>, view: EdgeView | null) => TE.TaskEither<OutcomeStoreError, void>,
  logger: Logger,
  retryMs = 500,
): OutcomePublisher => {
  let tail: Promise<boolean> = Promise.resolve(true);
  let stopped = false;
  const attempt = async (replies: ReadonlyArray<Reply>, view: EdgeView | null): Promise<boolean> => {
    for (;;) {
      // A throw is a bug in `send`; it is retried like a failure all the same, never lost.
      const r = await send(replies, view)().catch((e: unknown): E.Either<unknown, void> => E.left(e));
      if (E.isRight(r)) return true;
      if (stopped) return false;
      logger.error({ error: r.left, outcomes: replies.length }, "outcome publish failed; retrying");
      await new Promise((res) => setTimeout(res, retryMs));
    }
  };
  return {
    publish: (replies, view) => {
      tail = tail.then((earlier) => (earlier ? attempt(replies, view) : false));
      return tail;
    },
    stop: () => {
      stopped = true;
    },
  };
};
