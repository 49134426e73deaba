import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { ensureDir, type StackPaths } from "./paths.ts";
import { aptInstall, run, stopPid, waitUntil, which } from "./process.ts";
import { urlEndpoint } from "./targets.ts";
import { healthy, type LocalServer, unhealthy } from "./types.ts";

/**
 * Redis: Debian's `redis-server` when absent, then an instance on loopback with an append-only file
 * (fsync every second) in its data directory. The availability view could be rebuilt from the log, but
 * idempotency claims, request references and outcomes could not: they must survive a Redis restart, or
 * a shopper retrying with the same Idempotency-Key after the restart would be decided a second time.
 */
export const redisServer = (redisUrl: string, paths: StackPaths): LocalServer => {
  const ep = urlEndpoint(redisUrl, 6379);
  const dir = paths.server("redis");
  const pidFile = join(dir, "redis.pid");

  const probe: LocalServer["probe"] = async () => {
    const client = new Redis(redisUrl, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      const pong = await client.ping();
      const info = await client.info("server");
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
      return pong === "PONG" ? healthy(`Redis ${version}, PING ok`) : unhealthy(`PING answered ${pong}`);
    } catch (e) {
      return unhealthy(String((e as Error).message ?? e));
    } finally {
      client.disconnect();
    }
  };

  const start: LocalServer["start"] = async (progress) => {
    if ((await which("redis-server")) === null) await aptInstall(["redis-server"], progress);
    ensureDir(dir);
    progress(`redis: starting on ${ep.host}:${ep.port}`);
    const r = await run("redis-server", [
      "--bind",
      ep.host,
      "--port",
      String(ep.port),
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--daemonize",
      "yes",
      "--dir",
      dir,
      "--pidfile",
      pidFile,
      "--logfile",
      join(dir, "redis.log"),
    ]);
    if (r.code !== 0) throw new Error(`redis-server failed: ${r.stderr.trim() || r.stdout.trim()}`);
    const readPid = () => {
      try {
        return Number(readFileSync(pidFile, "utf8").trim());
      } catch {
        return 0;
      }
    };
    if (!(await waitUntil(async () => readPid() > 0, 10_000))) throw new Error(`no pidfile ${pidFile}`);
    return readPid();
  };

  return {
    name: "redis",
    processMarker: `:${ep.port}`,
    local: ep.local,
    url: redisUrl,
    probe,
    prepare: async () => {},
    start,
    stop: (pid) => stopPid(pid),
    startTimeoutMs: 30_000,
  };
};
