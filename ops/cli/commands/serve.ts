import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { decodeConfig } from "../../../infra/config/config.ts";
import { makeLogger } from "../../../infra/observability/logger.ts";
import { makeRegistry } from "../../../infra/observability/metrics.ts";
import { makeTracing } from "../../../infra/observability/tracing.ts";
import { listDemoSku } from "../../serve/dev.ts";
import { startDevSimulator } from "../../serve/dev-simulator.ts";
import { namespaceOf } from "../../serve/namespace.ts";
import { clusterPartOf, runPrimary } from "../../serve/cluster.ts";
import { allRoles } from "../../serve/roles.ts";
import { startServer } from "../../serve/server.ts";

interface ServeOptions {
  readonly roles?: string;
  readonly dev?: boolean;
  readonly host: string;
  readonly namespace: string;
  readonly waitMs?: string;
  readonly handlerGroup?: string;
  readonly logLevel?: string;
  readonly workers?: string;
  readonly opsPort?: string;
}

/**
 * `holdfast serve [--roles a,b] [--dev]`: decode the config (exit 1 naming the variable when wrong),
 * start the chosen roles and one HTTP server on HOLDFAST_HTTP_PORT; SIGTERM/SIGINT stop it gracefully.
 */
export const registerServe = (program: Command): void => {
  program
    .command("serve")
    .description("run the services (all roles by default) on HOLDFAST_HTTP_PORT")
    .option("--roles <roles>", "comma-separated roles to run (default: all)")
    .option("--dev", "development mode: fallback JWT secret, payment gateway simulator, demo SKU")
    .option("--host <host>", "address to listen on", "0.0.0.0")
    .option("--namespace <name>", "isolate topics, Redis keys and consumer group (tests, benchmarks)", "")
    .option("--wait-ms <ms>", "how long a write waits for its decision before answering 202")
    .option("--handler-group <id>", "consumer group of the command handler (tests: two handlers on one SKU)")
    .option("--log-level <level>", "pino level: debug adds one line per decided command (with its trace id)")
    .option(
      "--workers <n>",
      "run the HTTP roles in N processes on one port, beside one process with the others",
    )
    .option(
      "--ops-port <port>",
      "with --workers: port of the core process's /health, /metrics (default: none)",
    )
    .action(async (opts: ServeOptions) => {
      const config = decodeConfig(process.env, { dev: opts.dev === true });
      if (E.isLeft(config)) {
        process.stderr.write(`holdfast serve: ${config.left.variable}: ${config.left.message}\n`);
        process.exit(1);
      }
      if (opts.namespace !== "" && !/^[a-z0-9-]{1,40}$/.test(opts.namespace)) {
        process.stderr.write("holdfast serve: --namespace must be 1-40 of a-z, 0-9 and -\n");
        process.exit(1);
      }
      const waitBudgetMs = opts.waitMs === undefined ? undefined : Number(opts.waitMs);
      if (waitBudgetMs !== undefined && !(Number.isInteger(waitBudgetMs) && waitBudgetMs >= 0)) {
        process.stderr.write("holdfast serve: --wait-ms must be a whole number of milliseconds\n");
        process.exit(1);
      }
      if (
        opts.logLevel !== undefined &&
        !["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(opts.logLevel)
      ) {
        process.stderr.write(
          "holdfast serve: --log-level must be one of fatal, error, warn, info, debug, trace, silent\n",
        );
        process.exit(1);
      }
      const namespace = namespaceOf(opts.namespace);
      const available = allRoles({
        namespace,
        ...(waitBudgetMs === undefined ? {} : { waitBudgetMs }),
        ...(opts.handlerGroup === undefined ? {} : { handlerGroup: opts.handlerGroup }),
      });
      const workers = opts.workers === undefined ? null : Number(opts.workers);
      if (workers !== null && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) {
        process.stderr.write("holdfast serve: --workers must be a whole number from 1 to 64\n");
        process.exit(1);
      }
      const opsPort = opts.opsPort === undefined ? 0 : Number(opts.opsPort);
      if (!(Number.isInteger(opsPort) && opsPort >= 0 && opsPort < 65536)) {
        process.stderr.write("holdfast serve: --ops-port must be a port number\n");
        process.exit(1);
      }
      const part = workers === null ? null : clusterPartOf(process.env);
      const wanted =
        part !== null
          ? [...part.roles]
          : opts.roles === undefined
            ? available.map((r) => r.name)
            : opts.roles.split(",").map((s) => s.trim());
      const unknown = wanted.filter((n) => !available.some((r) => r.name === n));
      if (unknown.length > 0) {
        process.stderr.write(
          `holdfast serve: unknown role(s) ${unknown.join(", ")}; known: ${available.map((r) => r.name).join(", ")}\n`,
        );
        process.exit(1);
      }
      const logger = makeLogger(opts.logLevel === undefined ? {} : { level: opts.logLevel });
      if (workers !== null && part === null) {
        runPrimary(wanted, workers, logger);
        return;
      }
      const registry = makeRegistry();
      const tracing = makeTracing(config.right.otlpEndpoint);
      let ctx = { config: config.right, logger, registry, dev: opts.dev === true, tracing };
      let server: Awaited<ReturnType<typeof startServer>>;
      let simulator: Awaited<ReturnType<typeof startDevSimulator>>["simulator"] | null = null;
      try {
        // --dev runs the payment gateway simulator beside the services (on a free port when 8090 is
        // taken), unless PAYMENT_GATEWAY_URL was given explicitly (an explicit variable always wins).
        if (opts.dev === true && wanted.includes("payments") && !process.env.PAYMENT_GATEWAY_URL) {
          const dev = await startDevSimulator(config.right, logger);
          simulator = dev.simulator;
          ctx = { ...ctx, config: dev.config };
        }
        server = await startServer(
          available.filter((r) => wanted.includes(r.name)),
          ctx,
          // The core process of --workers answers /health and /metrics on --ops-port only.
          { port: part?.part === "core" ? opsPort : config.right.httpPort, hostname: opts.host },
        );
        if (opts.dev === true && part?.part !== "http") await listDemoSku(config.right, namespace, logger);
      } catch (e) {
        logger.fatal({ err: e }, "holdfast serve could not start");
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, "stopping");
        server
          .stop()
          .then(() => simulator?.stop())
          .then(() => tracing.shutdown())
          .then(() => process.exit(0))
          .catch((e: unknown) => {
            logger.error({ err: e }, "unclean stop");
            process.exit(1);
          });
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
};
