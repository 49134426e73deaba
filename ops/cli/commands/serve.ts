import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import {
  decodeConfigSlice,
  httpSettings,
  kafkaSettings,
  paymentGatewaySettings,
  postgresSettings,
  serveProcessSettings,
  tracingSettings,
} from "../../../infra/config/config.ts";
import { mergeSettings } from "../../../infra/config/settings.ts";
import { makeLogger } from "../../../infra/observability/logger.ts";
import { makeRegistry } from "../../../infra/observability/metrics.ts";
import { makeTracing } from "../../../infra/observability/tracing.ts";
import { listDemoSku } from "../../serve/dev.ts";
import { startDevSimulator } from "../../serve/dev-simulator.ts";
import { namespaceOf } from "../../../infra/process/namespace.ts";
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

/** Under --dev, serve itself lists the demo SKU (the command queue) and may start the gateway simulator. */
const devSettings = { ...postgresSettings, ...kafkaSettings, ...paymentGatewaySettings };

const fail = (message: string): never => {
  process.stderr.write(`holdfast serve: ${message}\n`);
  process.exit(1);
};

/**
 * `holdfast serve [--roles a,b] [--dev]`: decode the config slices of the chosen roles (exit 1
 * naming the variable when wrong), start the roles and one HTTP server on HOLDFAST_HTTP_PORT; SIGTERM/SIGINT stop it gracefully.
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
      // The one read of the environment: what serve itself needs, then the slices of the roles it runs.
      const env = process.env;
      const serveProcess = decodeConfigSlice(serveProcessSettings, env);
      if (E.isLeft(serveProcess)) return fail(`${serveProcess.left.variable}: ${serveProcess.left.message}`);
      if (opts.namespace !== "" && !/^[a-z0-9-]{1,40}$/.test(opts.namespace))
        return fail("--namespace must be 1-40 of a-z, 0-9 and -");
      const waitBudgetMs = opts.waitMs === undefined ? undefined : Number(opts.waitMs);
      if (waitBudgetMs !== undefined && !(Number.isInteger(waitBudgetMs) && waitBudgetMs >= 0))
        return fail("--wait-ms must be a whole number of milliseconds");
      if (
        opts.logLevel !== undefined &&
        !["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(opts.logLevel)
      )
        return fail("--log-level must be one of fatal, error, warn, info, debug, trace, silent");
      const namespace = namespaceOf(opts.namespace);
      const available = allRoles({
        namespace,
        ...(waitBudgetMs === undefined ? {} : { waitBudgetMs }),
        ...(opts.handlerGroup === undefined ? {} : { handlerGroup: opts.handlerGroup }),
      });
      const workers = opts.workers === undefined ? null : Number(opts.workers);
      if (workers !== null && !(Number.isInteger(workers) && workers >= 1 && workers <= 64))
        return fail("--workers must be a whole number from 1 to 64");
      const opsPort = opts.opsPort === undefined ? 0 : Number(opts.opsPort);
      if (!(Number.isInteger(opsPort) && opsPort >= 0 && opsPort < 65536))
        return fail("--ops-port must be a port number");
      const part = workers === null ? null : clusterPartOf(serveProcess.right);
      const wanted =
        part !== null
          ? [...part.roles]
          : opts.roles === undefined
            ? available.map((r) => r.name)
            : opts.roles.split(",").map((s) => s.trim());
      const unknown = wanted.filter((n) => !available.some((r) => r.name === n));
      if (unknown.length > 0)
        return fail(
          `unknown role(s) ${unknown.join(", ")}; known: ${available.map((r) => r.name).join(", ")}`,
        );
      const roles = available.filter((r) => wanted.includes(r.name));
      const dev = opts.dev === true;
      // serve's own slice (the port, tracing; under --dev the demo listing and the simulator's address),
      // then the slices of the roles it runs: a variable no chosen role reads is not asked for.
      const own = decodeConfigSlice({ ...httpSettings, ...tracingSettings }, env);
      if (E.isLeft(own)) return fail(`${own.left.variable}: ${own.left.message}`);
      const devOwn = dev ? decodeConfigSlice(devSettings, env) : E.right(null);
      if (E.isLeft(devOwn)) return fail(`${devOwn.left.variable}: ${devOwn.left.message}`);
      const roleConfig = decodeConfigSlice(mergeSettings(roles.map((r) => r.settings)), env, { dev });
      if (E.isLeft(roleConfig)) return fail(`${roleConfig.left.variable}: ${roleConfig.left.message}`);
      const logger = makeLogger(opts.logLevel === undefined ? {} : { level: opts.logLevel });
      if (workers !== null && part === null) {
        runPrimary(wanted, workers, logger, { port: own.right.httpPort, hostname: opts.host });
        return;
      }
      const registry = makeRegistry();
      const tracing = makeTracing(own.right.otlpEndpoint);
      let ctx = { config: roleConfig.right, logger, registry, dev, tracing };
      let server: Awaited<ReturnType<typeof startServer>>;
      let simulator: Awaited<ReturnType<typeof startDevSimulator>>["simulator"] | null = null;
      try {
        // --dev runs the payment gateway simulator beside the services (on a free port when 8090 is
        // taken), unless PAYMENT_GATEWAY_URL was given explicitly (an explicit variable always wins).
        if (devOwn.right !== null && wanted.includes("payments") && !serveProcess.right.paymentGatewayGiven) {
          const started = await startDevSimulator(devOwn.right, logger);
          simulator = started.simulator;
          ctx = { ...ctx, config: { ...ctx.config, paymentGatewayUrl: started.config.paymentGatewayUrl } };
        }
        server = await startServer(
          roles,
          ctx,
          // The core process of --workers answers /health and /metrics on --ops-port only.
          part?.part === "core"
            ? { port: opsPort, hostname: opts.host }
            : { port: own.right.httpPort, hostname: opts.host, shared: part?.part === "http" },
        );
        if (devOwn.right !== null && part?.part !== "http")
          await listDemoSku(devOwn.right, namespace, logger);
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
