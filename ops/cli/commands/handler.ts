import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import type pg from "pg";
import { listParked, type ParkedSku, resumeParked } from "../../../commands/handler/parked-skus.ts";
import { type ConfigOf, decodeConfigSlice, postgresSettings } from "../../../infra/config/config.ts";
import { openPool } from "../../../infra/postgres/pool.ts";
import { messageOf } from "../../../infra/errors/message-of.ts";

// The parking lot is a PostgreSQL table: that is all these commands read.
const loadConfig = (): ConfigOf<typeof postgresSettings> => {
  const c = decodeConfigSlice(postgresSettings, process.env);
  if (E.isLeft(c)) {
    console.error(c.left.message);
    process.exit(2);
  }
  return c.right;
};

const withPool = async <A>(f: (pool: pg.Pool) => Promise<A>): Promise<A> => {
  const pool = openPool(loadConfig(), { max: 1, name: "holdfast-cli" });
  try {
    return await f(pool);
  } catch (e) {
    console.error(`cannot reach the parked SKUs in PostgreSQL: ${messageOf(e)}`);
    process.exit(2);
  } finally {
    await pool.end().catch(() => undefined);
  }
};

const line = (p: ParkedSku) =>
  [
    p.skuId,
    `partition ${p.partition}`,
    p.parkedAt,
    `group ${p.groupId}`,
    `after ${p.attempts} attempts`,
    p.reason,
  ].join("  ");

/**
 * `holdfast handler parked [--json]`: SKUs the command handler parked because their appends kept failing
 * for a reason other than a revision conflict (their commands wait on the queue); `holdfast handler
 * resume SKU`: decide that SKU's commands again (the handler notices within a second).
 * Exit codes: 0 done, 1 the SKU is not parked, 2 could not run.
 */
export const registerHandler = (program: Command): void => {
  const handler = program.command("handler").description("command handler operations: parked SKUs");

  handler
    .command("parked")
    .description("list SKUs whose commands cannot be appended (parked)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const parked = await withPool(listParked);
      if (opts.json === true) console.log(JSON.stringify(parked, null, 2));
      else if (parked.length === 0) console.log("no parked SKUs");
      else for (const p of parked) console.log(line(p));
    });

  handler
    .command("resume")
    .description("resume a parked SKU: its commands are decided again")
    .argument("<sku>", "the SKU id")
    .action(async (sku: string) => {
      const resumed = await withPool((pool) => resumeParked(pool, sku));
      if (resumed.length === 0) {
        console.error(`SKU ${sku} is not parked (see \`holdfast handler parked\`)`);
        process.exit(1);
      }
      console.log(`resumed ${sku} (parked since ${resumed[0]?.parkedAt}: ${resumed[0]?.reason})`);
    });
};
