import { afterEach, describe, expect, it } from "vitest";
import { kafkaRequestQueue, stopKafkaIdleTimerLoop } from "./request-queue-idle.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const queue = () =>
  new kafkaRequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: "test",
    broker: "localhost:9092",
    logger: silent,
    isConnected: () => true,
  });

describe("kafkajs's request queue with the idle-loop fix", () => {
  const made: Array<{ throttleCheckTimeoutId: unknown }> = [];
  afterEach(() => {
    for (const q of made.splice(0)) clearTimeout(q.throttleCheckTimeoutId as NodeJS.Timeout);
  });

  it("sets no timer when nothing is pending and nothing is throttled", () => {
    stopKafkaIdleTimerLoop();
    const q = queue();
    made.push(q);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it("still schedules a check for pending requests, and for a throttle in force", () => {
    stopKafkaIdleTimerLoop();
    const pending = queue();
    made.push(pending);
    pending.pending.push({});
    pending.scheduleCheckPendingRequests();
    expect(pending.throttleCheckTimeoutId).not.toBeNull();
    const throttled = queue();
    made.push(throttled);
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
  });
});
