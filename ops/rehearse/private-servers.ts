import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { freePort, waitFor } from "../serve/testing/harness.ts";
import { kafkaServer } from "../stack/kafka.ts";
import { stackPaths } from "../stack/paths.ts";
import { redisServer } from "../stack/redis.ts";
import type { LocalServer, Progress } from "../stack/types.ts";

/**
 * A Kafka or Redis of the rehearsal's own (free loopback port, data under `.holdfast/rehearse-<id>/`), so
 * that restarting or pausing it never touches the servers at the default ports that others share.
 */
export interface PrivateServer {
  readonly url: string;
  readonly pid: () => number;
  restart(downSeconds: number): Promise<void>;
  pause(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url).pathname;

const twoFreePorts = async (): Promise<number> => {
  for (;;) {
    const p = await freePort();
    if (p < 65000) {
      // The broker's controller listens on port + 1: make sure it is free too.
      const ok = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once("error", () => resolve(false));
        s.listen(p + 1, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      if (ok) return p;
    }
  }
};

const startPrivate = async (
  make: (url: string, dir: string) => LocalServer,
  url: string,
  dir: string,
  progress: Progress,
): Promise<PrivateServer> => {
  const server = make(url, dir);
  let pid = await server.start(progress);
  const healthy = () =>
    waitFor(
      `${server.name} at ${url}`,
      async () => (await server.probe())._tag === "Healthy",
      server.startTimeoutMs,
      250,
    );
  await healthy();
  return {
    url: server.url,
    pid: () => pid,
    restart: async (downSeconds) => {
      await server.stop(pid, progress);
      await new Promise((r) => setTimeout(r, downSeconds * 1000));
      pid = await server.start(progress);
      await healthy();
    },
    pause: async (seconds) => {
      process.kill(pid, "SIGSTOP");
      try {
        await new Promise((r) => setTimeout(r, seconds * 1000));
      } finally {
        process.kill(pid, "SIGCONT");
      }
    },
    stop: async () => {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // not running
      }
      await server.stop(pid, progress);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const runDir = () => join(ROOT, ".holdfast", `rehearse-${randomBytes(4).toString("hex")}`);

export const startPrivateKafka = async (progress: Progress): Promise<PrivateServer> => {
  const port = await twoFreePorts();
  const dir = runDir();
  const paths = { ...stackPaths(ROOT), server: (name: string) => join(dir, name) };
  return startPrivate((url) => kafkaServer([url], paths), `127.0.0.1:${port}`, dir, progress);
};

export const startPrivateRedis = async (progress: Progress): Promise<PrivateServer> => {
  const port = await freePort();
  const dir = runDir();
  const paths = { ...stackPaths(ROOT), server: (name: string) => join(dir, name) };
  return startPrivate((url) => redisServer(url, paths), `redis://127.0.0.1:${port}`, dir, progress);
};
