import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { kafkaServer } from "../../stack/kafka.ts";
import { ensureDir, type StackPaths, stackPaths } from "../../stack/paths.ts";
import { redisServer } from "../../stack/redis.ts";
import type { LocalServer } from "../../stack/types.ts";
import { freePort, waitFor } from "./harness.ts";

/**
 * A Kafka or Redis of a test's own, for fault tests that stop and start them: never the shared servers
 * other tests run against. Free ports, data under the checkout's `.holdfast/private-<label>-<random>/`,
 * started and stopped with the same code as `holdfast stack` (ops/stack/kafka.ts, redis.ts), removed by
 * `close()`. A best-effort exit hook kills what is still running if the test process dies first.
 */
export interface PrivateServer {
  /** `host:port` (Kafka) or `redis://…` (Redis). */
  readonly address: string;
  /** SIGTERM and wait for the process to exit. */
  stop(): Promise<void>;
  /** Start again on the same port and data; resolves once it is healthy. */
  start(): Promise<void>;
  running(): boolean;
  close(): Promise<void>;
}

const ROOT = new URL("../../../", import.meta.url).pathname;

const privatePaths = (label: string): StackPaths => {
  const shared = stackPaths(ROOT);
  const dir = ensureDir(join(shared.state, `private-${label}-${randomBytes(3).toString("hex")}`));
  return { root: shared.root, state: dir, cache: shared.cache, server: (name) => join(dir, name) };
};

const supervise = async (server: LocalServer, address: string, dir: string): Promise<PrivateServer> => {
  let pid: number | null = null;
  const kill = () => {
    if (pid !== null)
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
  };
  process.on("exit", kill);
  const start = async () => {
    pid = await server.start(() => undefined);
    await waitFor(
      `private ${server.name} to be healthy`,
      async () => (await server.probe())._tag === "Healthy",
      server.startTimeoutMs,
      250,
    );
  };
  const stop = async () => {
    if (pid === null) return;
    const p = pid;
    pid = null;
    await server.stop(p, () => undefined);
  };
  await start();
  return {
    address,
    start,
    stop,
    running: () => pid !== null,
    close: async () => {
      await stop().catch(kill);
      process.off("exit", kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Two consecutive free ports (Kafka's broker and controller listeners). */
const freePortPair = async (): Promise<number> => {
  for (;;) {
    const p = await freePort();
    const { createServer } = await import("node:net");
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(p + 1, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
};

export const startPrivateKafka = async (label: string): Promise<PrivateServer> => {
  const paths = privatePaths(label);
  const port = await freePortPair();
  const address = `127.0.0.1:${port}`;
  return supervise(kafkaServer([address], paths), address, paths.state);
};

export const startPrivateRedis = async (label: string): Promise<PrivateServer> => {
  const paths = privatePaths(label);
  const url = `redis://127.0.0.1:${await freePort()}`;
  return supervise(redisServer(url, paths), url, paths.state);
};
