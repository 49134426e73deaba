import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { kafkaServer } from "../../stack/kafka.ts";
import { ensureDir, type StackPaths, stackPaths } from "../../stack/paths.ts";
import { redisServer } from "../../stack/redis.ts";
import type { LocalServer } from "../../stack/types.ts";
import { waitFor } from "./harness.ts";

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

/** The end of the server's log files, to say why it did not come up. */
const logTail = (dir: string): string => {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory() && e.name !== "data") walk(f);
      else if (/\.(log|out)$/.test(e.name)) out.push(`--- ${f}\n${readFileSync(f, "utf8").slice(-3000)}`);
    }
  };
  try {
    walk(dir);
  } catch {
    // nothing to show
  }
  return out.join("\n");
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
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logTail(dir)}`);
    });
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

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

/**
 * `n` consecutive free ports BELOW the ephemeral range (32768+): a restarted server must get its port
 * back, and a port the OS hands out to some client or `freePort()` meanwhile would steal it.
 */
const stablePorts = async (n: number): Promise<number> => {
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await isFree(p + i);
    if (ok) return p;
  }
};

export const startPrivateKafka = async (label: string): Promise<PrivateServer> => {
  const paths = privatePaths(label);
  const port = await stablePorts(2);
  const address = `127.0.0.1:${port}`;
  return supervise(kafkaServer([address], paths), address, paths.state);
};

export const startPrivateRedis = async (label: string): Promise<PrivateServer> => {
  const paths = privatePaths(label);
  const url = `redis://127.0.0.1:${await stablePorts(1)}`;
  return supervise(redisServer(url, paths), url, paths.state);
};
