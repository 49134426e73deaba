import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../../infra/observability/logger.ts";
import { isHttpReady, shareListener } from "./acceptor.ts";

/**
 * `holdfast serve --workers N`: the HTTP roles (write-api, read-api) in N processes sharing one port
 * (each watches the primary's listening socket through copies of its own, see acceptor.ts), beside ONE
 * core process with the other roles (the command handler, which must stay one writer per SKU partition
 * in this deployment, the projector and the payment saga). The primary only shares the socket and
 * supervises: it forks, restarts a process that dies, and on SIGTERM/SIGINT stops them all.
 *
 * Each forked process runs `holdfast serve` again and learns its part from the environment the primary
 * gives it (`HOLDFAST_SERVE_PART`, `HOLDFAST_SERVE_ROLES`), decoded with the rest of the config (infra/config).
 */
export const HTTP_ROLES: ReadonlySet<string> = new Set(["write-api", "read-api"]);

/**
 * V8 flags of an HTTP worker, before the primary's own. A larger young generation (128 MiB semi-spaces,
 * against 16 by default): a write API under load holds hundreds of requests in flight, each with its
 * promises, timers and buffers, and with small semi-spaces much of that survives a scavenge only to be
 * copied and promoted, then collected by the old generation's mark-compact. A scavenge costs about the
 * live set, the same at any size, so twice the space is half the scavenges: 64 → 128 MiB took GC from
 * 13.8 % to 9.2–10.0 % of the write API worker's busy samples (500 connections; ops/CAPACITY.md), for
 * up to ~0.4 GiB of young generation per worker under load. A flag given to the primary
 * explicitly (`node --max-semi-space-size=N`) comes later on the worker's command line, and wins.
 */
export const HTTP_WORKER_V8_FLAGS: ReadonlyArray<string> = ["--max-semi-space-size=128"];
const HTTP_EXEC_ARGV = [...HTTP_WORKER_V8_FLAGS, ...process.execArgv];

/**
 * V8 flags of the core process when it runs the projector, before the primary's own: 256 MiB semi-spaces,
 * as compose.yaml's projector, the runbook's rebuild and `bench:rebuild` run (feed pages and their
 * decoded events die young instead of being copied and promoted; ops/CAPACITY.md, "The feed and
 * rebuilds").
 */
export const PROJECTOR_V8_FLAGS: ReadonlyArray<string> = ["--max-semi-space-size=256"];
const PROJECTOR_EXEC_ARGV = [...PROJECTOR_V8_FLAGS, ...process.execArgv];

/** The exec arguments of a forked part: its V8 flags, then the primary's own (which win). */
export const execArgvOf = (env: Record<string, string>): ReadonlyArray<string> =>
  env.HOLDFAST_SERVE_PART === "http"
    ? HTTP_EXEC_ARGV
    : (env.HOLDFAST_SERVE_ROLES ?? "").split(",").includes("projector")
      ? PROJECTOR_EXEC_ARGV
      : process.execArgv;

export interface ClusterPart {
  readonly part: "http" | "core";
  readonly roles: ReadonlyArray<string>;
}

/**
 * The part the current process plays, or `null` in the primary (or without --workers), from the decoded
 * `HOLDFAST_SERVE_PART` and `HOLDFAST_SERVE_ROLES` (infra/config's `serveProcessSettings`).
 */
export const clusterPartOf = (decoded: {
  readonly servePart: "http" | "core" | null;
  readonly serveRoles: ReadonlyArray<string>;
}): ClusterPart | null =>
  !cluster.isWorker || decoded.servePart === null
    ? null
    : { part: decoded.servePart, roles: decoded.serveRoles };

/** Split the wanted roles: HTTP roles to the workers, the rest to the core process. */
export const splitRoles = (wanted: ReadonlyArray<string>) => ({
  http: wanted.filter((r) => HTTP_ROLES.has(r)),
  core: wanted.filter((r) => !HTTP_ROLES.has(r)),
});

/**
 * Run the primary: fork, give each HTTP worker its copies of the socket on `listen` once it is ready,
 * supervise, stop. Exits the process on a signal, or when the port cannot be listened on.
 */
export const runPrimary = (
  wanted: ReadonlyArray<string>,
  workers: number,
  logger: Logger,
  listen: { readonly port: number; readonly hostname: string },
): void => {
  const { http, core } = splitRoles(wanted);
  const parts: Array<{ env: Record<string, string>; name: string }> = [];
  if (core.length > 0)
    parts.push({ name: "core", env: { HOLDFAST_SERVE_PART: "core", HOLDFAST_SERVE_ROLES: core.join(",") } });
  if (http.length > 0)
    for (let i = 0; i < workers; i++)
      parts.push({
        name: `http-${i}`,
        env: { HOLDFAST_SERVE_PART: "http", HOLDFAST_SERVE_ROLES: http.join(",") },
      });
  let stopping = false;
  const running = new Map<Worker, (typeof parts)[number]>();
  const listener = shareListener(listen);
  const onReady = (w: Worker) =>
    listener.give(w).catch((e: unknown) => {
      logger.fatal({ err: e, port: listen.port }, "holdfast serve could not listen");
      stop("SIGTERM");
    });
  const fork = (p: (typeof parts)[number]) => {
    cluster.setupPrimary({ execArgv: [...execArgvOf(p.env)] });
    const w = cluster.fork(p.env);
    running.set(w, p);
    w.on("message", (message: unknown) => {
      if (isHttpReady(message)) onReady(w);
    });
    w.on("exit", (code, signal) => {
      running.delete(w);
      listener.forget(w);
      if (stopping) {
        if (running.size === 0) process.exit(0);
        return;
      }
      logger.error({ part: p.name, code, signal }, "serve process died; restarting it");
      setTimeout(() => fork(p), 500);
    });
  };
  // The core first: the write API's first commands are decided at once.
  for (const p of parts) fork(p);
  logger.info({ workers, http, core }, "holdfast serve: primary supervising");
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping every serve process");
    if (running.size === 0) process.exit(0);
    for (const w of running.keys()) w.process.kill("SIGTERM");
    setTimeout(() => {
      for (const w of running.keys()) w.process.kill("SIGKILL");
      process.exit(1);
    }, 15_000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
};
