import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { makeStack, type Stack, stackDown, stackStatus, stackUp, statusTable } from "../../stack/stack.ts";
import { stackConfig } from "../../stack/targets.ts";
import type { ServerName } from "../../stack/types.ts";

const SERVER_NAMES: ReadonlyArray<ServerName> = ["postgresql", "redis", "kafka", "elasticsearch"];

const checkout = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const progress = (line: string) => process.stderr.write(`[stack] ${line}\n`);

const withStack = (f: (stack: Stack) => Promise<number>) => async () => {
  const config = stackConfig(process.env);
  if (E.isLeft(config)) {
    process.stderr.write(`${config.left.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.exitCode = await f(makeStack(config.right, checkout));
};

/**
 * `holdfast stack up|down|status`: PostgreSQL, Redis, Kafka and Elasticsearch for this checkout
 * (ops/stack/README.md). Exit 0 only when every server is healthy (`up`, `status`).
 */
export const registerStack = (program: Command): void => {
  const stack = program
    .command("stack")
    .description("local PostgreSQL, Redis, Kafka and Elasticsearch (data under .holdfast/)");
  stack
    .command("up")
    .description("use the servers that answer at the configured URLs; install and start the others")
    .action(
      withStack(async (s) => {
        const began = Date.now();
        const outcomes = await stackUp(s, progress);
        for (const o of outcomes) if (o._tag === "Failed") progress(`${o.name}: FAILED: ${o.message}`);
        const statuses = await stackStatus(s);
        process.stdout.write(`${statusTable(statuses)}\n`);
        progress(`up took ${((Date.now() - began) / 1000).toFixed(1)} s`);
        return statuses.every((x) => x.health._tag === "Healthy") ? 0 : 1;
      }),
    );
  stack
    .command("down")
    .argument("[servers...]", `only these (${SERVER_NAMES.join(", ")}); all by default`)
    .description("stop the servers this checkout started (never the ones that were already there)")
    .action((servers: string[]) =>
      withStack(async (s) => {
        const unknown = servers.filter((n) => !(SERVER_NAMES as ReadonlyArray<string>).includes(n));
        if (unknown.length > 0) {
          progress(`unknown server(s): ${unknown.join(", ")} (expected ${SERVER_NAMES.join(", ")})`);
          return 2;
        }
        const stopped = await stackDown(s, progress, servers as ServerName[]);
        progress(stopped.length === 0 ? "nothing to stop" : `stopped ${stopped.join(", ")}`);
        return 0;
      })(),
    );
  stack
    .command("status")
    .description("table of each server, who provides it, its URL and health; exit 0 when all are healthy")
    .action(
      withStack(async (s) => {
        const statuses = await stackStatus(s);
        process.stdout.write(`${statusTable(statuses)}\n`);
        return statuses.every((x) => x.health._tag === "Healthy") ? 0 : 1;
      }),
    );
};
