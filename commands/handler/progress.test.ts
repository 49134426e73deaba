import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { SupervisedConsumer, SupervisorState } from "../../infra/kafka/supervised-consumer.ts";
import { handlerProgressCheck } from "./progress.ts";

/** The handler's readiness from consumer progress, with a fake consumer state and fake group offsets. */
const running: SupervisorState = {
  phase: "running",
  since: Date.now() - 60_000,
  joined: true,
  assignment: { commands: [0, 1] },
  joinedAt: Date.now() - 60_000,
  lastFetchAt: Date.now(),
  restarts: 0,
  lastError: null,
};

const check = (
  state: SupervisorState,
  opts: { lastProgressAgoMs: number; committed?: number[]; high?: number[]; parked?: number[] },
) => {
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchOffsets: async () => [
        {
          topic: "commands",
          partitions: (opts.committed ?? [5, 7]).map((o, partition) => ({ partition, offset: String(o) })),
        },
      ],
      fetchTopicOffsets: async () =>
        (opts.high ?? [5, 7]).map((h, partition) => ({
          partition,
          high: String(h),
          low: "0",
          offset: String(h),
        })),
    }),
  } as unknown as Kafka;
  const sup = { state: () => state } as unknown as SupervisedConsumer;
  return handlerProgressCheck({
    kafka,
    groupId: "g",
    topic: "commands",
    consumer: () => sup,
    lastProgressAt: () => Date.now() - opts.lastProgressAgoMs,
    parkedPartitions: () => new Set(opts.parked ?? []),
    stallMs: 10_000,
  })();
};

describe("handler readiness from progress", () => {
  it("is ready when nothing waits, or when it committed recently", async () => {
    expect(await check(running, { lastProgressAgoMs: 60_000 })).toBeNull();
    expect(await check(running, { lastProgressAgoMs: 1000, high: [50, 70] })).toBeNull();
  });

  it("is not ready when commands wait on its partitions and nothing was committed for the stall time", async () => {
    const reason = await check(running, { lastProgressAgoMs: 15_000, high: [5, 10] });
    expect(reason).toBe("3 command(s) waiting on partition(s) 1 and no commit for 15 s");
  });

  it("leaves parked partitions to the operator", async () => {
    expect(await check(running, { lastProgressAgoMs: 15_000, high: [5, 10], parked: [1] })).toBeNull();
  });

  it("is not ready when its consumer has been crashed/rebuilding or out of its group too long", async () => {
    const rebuilding: SupervisorState = {
      ...running,
      phase: "rebuilding",
      since: Date.now() - 12_000,
      lastError: "KafkaJSNonRetriableError: Failed to find group coordinator",
    };
    expect(await check(rebuilding, { lastProgressAgoMs: 0 })).toMatch(
      /^the command consumer has been rebuilding for 12 s \(last error: KafkaJSNonRetriableError: Failed to find group coordinator\)$/,
    );
    expect(await check({ ...rebuilding, since: Date.now() - 2000 }, { lastProgressAgoMs: 0 })).toBeNull();
    const outside: SupervisorState = {
      ...running,
      joined: false,
      since: Date.now() - 30_000,
      joinedAt: Date.now() - 11_000,
    };
    expect(await check(outside, { lastProgressAgoMs: 0 })).toBe(
      "the command consumer has not been a member of group g for 11 s",
    );
  });
});
