import type { StackConfig } from "./targets.ts";
import { elasticsearchServer } from "./elasticsearch.ts";
import { kafkaServer } from "./kafka.ts";
import { postgresServer } from "./postgres.ts";
import { type StackPaths, stackPaths } from "./paths.ts";
import { isAlive, isOurProcess, waitUntil } from "./process.ts";
import { redisServer } from "./redis.ts";
import { readState, type StackState, writeState } from "./state-file.ts";
import { type Health, type LocalServer, type Progress, type ServerName, unhealthy } from "./types.ts";

/** How a server is provided: already there, started by this checkout's stack, or not at all. */
export type ProvidedBy = "existing" | "started-by-holdfast" | "not running";

export interface ServerStatus {
  readonly name: ServerName;
  readonly url: string;
  readonly providedBy: ProvidedBy;
  readonly health: Health;
}

export type UpOutcome =
  | { readonly _tag: "AlreadyUp"; readonly name: ServerName; readonly providedBy: ProvidedBy }
  | { readonly _tag: "Started"; readonly name: ServerName; readonly pid: number; readonly ms: number }
  | { readonly _tag: "Failed"; readonly name: ServerName; readonly message: string };

export interface Stack {
  readonly paths: StackPaths;
  readonly servers: ReadonlyArray<LocalServer>;
}

/** The four servers of API.md's configuration, for the checkout at `root`. */
export const makeStack = (config: StackConfig, root: string): Stack => {
  const paths = stackPaths(root);
  return {
    paths,
    servers: [
      postgresServer(config.databaseUrl, paths),
      redisServer(config.redisUrl, paths),
      kafkaServer(config.kafkaBrokers, paths),
      elasticsearchServer(config.elasticsearchUrl, paths),
    ],
  };
};

const ownedPid = (state: StackState, s: LocalServer): number | null => {
  const rec = state[s.name];
  return rec !== undefined && rec.url === s.url && isOurProcess(rec.pid, s.processMarker) ? rec.pid : null;
};

const upOne = async (stack: Stack, s: LocalServer, progress: Progress): Promise<UpOutcome> => {
  const began = Date.now();
  try {
    const owned = ownedPid(readState(stack.paths.state), s);
    const first = await s.probe();
    if (first._tag === "Healthy")
      return { _tag: "AlreadyUp", name: s.name, providedBy: owned ? "started-by-holdfast" : "existing" };
    // Something answers but is not usable yet, or we started it earlier and it is still coming up.
    if (owned !== null || first.reachable) {
      const ok = await waitUntil(
        async () => {
          await s.prepare(progress).catch(() => {});
          return (await s.probe())._tag === "Healthy";
        },
        s.startTimeoutMs,
        (ms) => progress(`${s.name}: waiting for health (${Math.round(ms / 1000)} s)`),
      );
      if (ok)
        return { _tag: "AlreadyUp", name: s.name, providedBy: owned ? "started-by-holdfast" : "existing" };
      return {
        _tag: "Failed",
        name: s.name,
        message: `answers at ${s.url} but never became healthy: ${(await s.probe()).detail}`,
      };
    }
    if (!s.local)
      return {
        _tag: "Failed",
        name: s.name,
        message: `nothing answers at ${s.url}, and it is not a loopback address this stack could start`,
      };
    const pid = await s.start(progress);
    const state = readState(stack.paths.state);
    writeState(stack.paths.state, {
      ...state,
      [s.name]: { pid, url: s.url, startedAt: new Date().toISOString() },
    });
    let last: Health = unhealthy("not probed");
    const ok = await waitUntil(
      async () => {
        if (!isAlive(pid)) return true; // fail fast below instead of waiting out the deadline
        await s.prepare(progress).catch(() => {});
        last = await s.probe();
        return last._tag === "Healthy";
      },
      s.startTimeoutMs,
      (ms) => progress(`${s.name}: waiting for health (${Math.round(ms / 1000)} s): ${last.detail}`),
    );
    if (!isAlive(pid))
      return {
        _tag: "Failed",
        name: s.name,
        message: `process ${pid} exited during start; see ${stack.paths.server(s.name)}`,
      };
    if (!ok)
      return {
        _tag: "Failed",
        name: s.name,
        message: `not healthy after ${s.startTimeoutMs / 1000} s: ${last.detail}`,
      };
    const ms = Date.now() - began;
    progress(`${s.name}: healthy after ${(ms / 1000).toFixed(1)} s (pid ${pid})`);
    return { _tag: "Started", name: s.name, pid, ms };
  } catch (e) {
    return { _tag: "Failed", name: s.name, message: String((e as Error).message ?? e) };
  }
};

/**
 * Brings every server up. PostgreSQL and Redis go one after the other (both may need apt-get, which
 * takes a lock); Kafka and Elasticsearch download and start beside them.
 */
export const stackUp = async (stack: Stack, progress: Progress): Promise<ReadonlyArray<UpOutcome>> => {
  const byName = (n: ServerName) => stack.servers.find((s) => s.name === n)!;
  const [pgRedis, kafka, es] = await Promise.all([
    (async () => [
      await upOne(stack, byName("postgresql"), progress),
      await upOne(stack, byName("redis"), progress),
    ])(),
    upOne(stack, byName("kafka"), progress),
    upOne(stack, byName("elasticsearch"), progress),
  ]);
  return [...pgRedis, kafka, es];
};

/** Stops only what this checkout started (live recorded PIDs; all of them, or the `only` ones), and forgets them. */
export const stackDown = async (
  stack: Stack,
  progress: Progress,
  only: ReadonlyArray<ServerName> = [],
): Promise<ReadonlyArray<string>> => {
  const state = readState(stack.paths.state);
  const stopped: string[] = [];
  for (const s of [...stack.servers].reverse()) {
    if (only.length > 0 && !only.includes(s.name)) continue;
    const rec = state[s.name];
    if (rec === undefined) continue;
    if (isOurProcess(rec.pid, s.processMarker)) {
      progress(`${s.name}: stopping pid ${rec.pid}`);
      await s.stop(rec.pid, progress);
      stopped.push(s.name);
    }
    delete state[s.name];
    writeState(stack.paths.state, state);
  }
  return stopped;
};

export const stackStatus = async (stack: Stack): Promise<ReadonlyArray<ServerStatus>> => {
  const state = readState(stack.paths.state);
  return Promise.all(
    stack.servers.map(async (s) => {
      const health = await s.probe();
      const providedBy: ProvidedBy =
        ownedPid(state, s) !== null
          ? "started-by-holdfast"
          : health._tag === "Healthy" || health.reachable
            ? "existing"
            : "not running";
      return { name: s.name, url: s.url, providedBy, health };
    }),
  );
};

/** A plain-text table (no colours: it ends up in CI logs). */
export const formatTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "))
    .join("\n");
};

export const statusTable = (statuses: ReadonlyArray<ServerStatus>): string =>
  formatTable([
    ["SERVER", "PROVIDED BY", "URL", "HEALTH"],
    ...statuses.map((s) => [
      s.name,
      s.providedBy,
      s.url,
      `${s.health._tag === "Healthy" ? "healthy" : "UNHEALTHY"}: ${s.health.detail}`,
    ]),
  ]);
