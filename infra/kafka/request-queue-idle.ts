import { createRequire } from "node:module";

/**
 * kafkajs 2.2.4's request queue keeps a 1 ms timer running for ever on every broker connection, busy or
 * idle ([kafkajs#1556](https://github.com/tulios/kafkajs/issues/1556), fix proposed in #1667 and #1768,
 * not released): `scheduleCheckPendingRequests` computes `throttledUntil - Date.now()`, negative when
 * the broker never throttled, and sets a timer with it even when nothing is pending; the timer's check
 * schedules the next one. In the write API's profile that loop was 1.2–2.0 % of the HTTP worker's busy time
 * (the timer callbacks and their timer-list upkeep), and it runs in every process that holds a Kafka
 * connection.
 *
 * The fix patches that one method: with nothing pending and no throttle in force there is nothing to
 * check later (a request that cannot go at once is pushed to `pending` and schedules its own check; a
 * completed one checks the queue itself), so no timer is set. Everything else is kafkajs's code as is.
 * Idempotent; `makeKafka` applies it.
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
  prototype: RequestQueueLike & { holdfastIdleFix?: true };
};

export const stopKafkaIdleTimerLoop = (): void => {
  const proto = RequestQueue.prototype;
  if (proto.holdfastIdleFix === true) return;
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueLike) {
    if (this.pending.length === 0 && this.throttledUntil - Date.now() <= 0) return;
    schedule.call(this);
  };
  proto.holdfastIdleFix = true;
};

/** The request queue class kafkajs uses (for the test). */
export const kafkaRequestQueue = RequestQueue as unknown as new (
  opts: Record<string, unknown>,
) => RequestQueueLike;
