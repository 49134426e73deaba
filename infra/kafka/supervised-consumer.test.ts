import { EventEmitter } from "node:events";
import type { Consumer, Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../observability/logger.ts";
import { makeRegistry } from "../observability/metrics.ts";
import { superviseConsumer } from "./supervised-consumer.ts";

/**
 * A fake kafkajs client whose consumers emit the instrumentation events the supervisor listens to, so
 * a crash (here the non-retriable "Failed to find group coordinator" that kafkajs never restarts after)
 * can be played exactly.
 */
const fakeKafka = () => {
  const built: Array<{
    consumer: Consumer;
    emit: (event: string, payload: unknown) => void;
    disconnected: boolean;
  }> = [];
  const events = {
    CRASH: "consumer.crash",
    GROUP_JOIN: "consumer.group_join",
    REBALANCING: "consumer.rebalancing",
    FETCH_START: "consumer.fetch_start",
  };
  const configs: unknown[] = [];
  const kafka = {
    consumer: (config: unknown) => {
      configs.push(config);
      const ee = new EventEmitter();
      const entry = {
        disconnected: false,
        emit: (event: string, payload: unknown) => ee.emit(event, { payload }),
        consumer: {
          events,
          on: (event: string, listener: (e: unknown) => void) => ee.on(event, listener),
          connect: async () => undefined,
          disconnect: async () => {
            entry.disconnected = true;
          },
        } as unknown as Consumer,
      };
      built.push(entry);
      return entry.consumer;
    },
  } as unknown as Kafka;
  return { kafka, built, configs, events };
};

const waitUntil = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe("superviseConsumer", () => {
  it("rebuilds, re-binds and counts a consumer after a non-retriable crash, with kafkajs's own restart off", async () => {
    const f = fakeKafka();
    const registry = makeRegistry({ defaults: false });
    let binds = 0;
    let lost = 0;
    const sup = await superviseConsumer({
      name: "test",
      kafka: f.kafka,
      config: { groupId: "g" },
      logger: silentLogger(),
      registry,
      backoff: { initialMs: 5, maxMs: 20 },
      bind: async () => {
        binds++;
      },
      onLost: () => {
        lost++;
      },
    });
    expect(binds).toBe(1);
    const restartOnFailure = (f.configs[0] as { retry: { restartOnFailure: () => Promise<boolean> } }).retry
      .restartOnFailure;
    expect(await restartOnFailure()).toBe(false);
    f.built[0]!.emit(f.events.GROUP_JOIN, { groupId: "g", memberAssignment: { commands: [0, 1] } });
    expect(sup.state()).toMatchObject({ phase: "running", joined: true, assignment: { commands: [0, 1] } });

    const error = Object.assign(new Error("Failed to find group coordinator"), {
      name: "KafkaJSNonRetriableError",
    });
    f.built[0]!.emit(f.events.CRASH, { error, groupId: "g", restart: false });
    expect(sup.state().phase).toBe("rebuilding");
    expect(sup.state().lastError).toMatch(/Failed to find group coordinator/);
    await waitUntil("the rebuild", () => binds === 2 && sup.state().phase === "running");
    expect(lost).toBe(1);
    expect(f.built).toHaveLength(2);
    expect(f.built[0]!.disconnected).toBe(true);
    expect(sup.current()).toBe(f.built[1]!.consumer);
    expect(await registry.metrics()).toMatch(
      /holdfast_kafka_consumer_restarts_total\{consumer="test",reason="crash"\} 1/,
    );
    // A crash of the old, replaced consumer is ignored.
    f.built[0]!.emit(f.events.CRASH, { error, groupId: "g", restart: false });
    expect(sup.state().phase).toBe("running");
    await sup.stop();
    expect(f.built[1]!.disconnected).toBe(true);
    expect(sup.state().phase).toBe("stopped");
  });

  it("a consumer that crashes inside run() while it is rebuilt is rebuilt again, not left for dead", async () => {
    const f = fakeKafka();
    const sup = await superviseConsumer({
      name: "loading",
      kafka: f.kafka,
      config: { groupId: "g" },
      logger: silentLogger(),
      backoff: { initialMs: 5, maxMs: 20 },
      bind: async () => {
        // The second consumer crashes during its start ("The coordinator is loading…").
        const mine = f.built[f.built.length - 1]!;
        if (f.built.length === 2)
          mine.emit(f.events.CRASH, {
            error: new Error("The coordinator is loading"),
            groupId: "g",
            restart: true,
          });
      },
    });
    f.built[0]!.emit(f.events.CRASH, { error: new Error("broker gone"), groupId: "g", restart: true });
    await waitUntil("a third consumer", () => f.built.length === 3 && sup.state().phase === "running");
    expect(sup.current()).toBe(f.built[2]!.consumer);
    expect(f.built[1]!.disconnected).toBe(true);
    await sup.stop();
  });

  it("keeps trying with backoff while the broker refuses, then runs", async () => {
    const f = fakeKafka();
    let failures = 2;
    const sup = await superviseConsumer({
      name: "flaky",
      kafka: f.kafka,
      config: { groupId: "g" },
      logger: silentLogger(),
      backoff: { initialMs: 5, maxMs: 20 },
      bind: async () => {
        if (f.built.length > 1 && failures-- > 0) throw new Error("Connection refused");
      },
    });
    f.built[0]!.emit(f.events.CRASH, { error: new Error("broker gone"), groupId: "g", restart: true });
    await waitUntil("a running consumer", () => sup.state().phase === "running" && f.built.length === 4);
    expect(sup.state().restarts).toBe(1);
    await sup.stop();
  });
});
