import { absurd } from "fp-ts/lib/function.js";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import type { Attempt } from "../../../commands/payments/attempts-store.ts";
import { makePostgresAttemptsStore } from "../../../commands/payments/attempts-store.ts";
import { listUnresolved, type Resolution, resolvePayment } from "../../../commands/payments/resolve.ts";
import { openPaymentsClients, paymentsClientSettings } from "../../../commands/payments/clients.ts";
import { type ConfigOf, decodeConfigSlice } from "../../../infra/config/config.ts";
import { makeLogger } from "../../../infra/observability/logger.ts";
import { openPool } from "../../../infra/postgres/pool.ts";
import { messageOf } from "../../../infra/errors/message-of.ts";

// The saga's tables (PostgreSQL) and the command queue (Kafka): all these commands read.
const loadConfig = (): ConfigOf<typeof paymentsClientSettings> => {
  const c = decodeConfigSlice(paymentsClientSettings, process.env);
  if (E.isLeft(c)) {
    console.error(c.left.message);
    process.exit(2);
  }
  return c.right;
};

const row = (a: Attempt) =>
  [
    a.orderId,
    a.skuId,
    `${(a.amountCents / 100).toFixed(2)} ${a.currency}`,
    a.startedAt.toISOString(),
    `charges=${a.chargeAttempts} status=${a.statusQueries}`,
    a.reason ?? a.lastError ?? "",
  ].join("  ");

const toJson = (a: Attempt) => ({
  ...a,
  position: a.position.toString(),
  startedAt: a.startedAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

/**
 * `holdfast payments unresolved [--json]` lists orders whose payment outcome is unknown (their units stay
 * held); `holdfast payments resolve ORDER_ID --succeeded PAYMENT_ID | --failed REASON` enqueues the
 * command that settles one, after an operator has checked with the payment provider.
 * Exit codes: 0 done, 1 refused (unknown order, already settled), 2 could not run.
 */
export const registerPayments = (program: Command): void => {
  const payments = program.command("payments").description("payment saga operations: unresolved payments");

  payments
    .command("unresolved")
    .description("list orders whose payment outcome is unknown (units still held)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const pool = openPool(config, { max: 1, name: "holdfast-cli" });
      try {
        const attempts = makePostgresAttemptsStore(pool);
        const ready = await attempts.ensureSchema()();
        const listed = E.isLeft(ready) ? ready : await listUnresolved(attempts)();
        if (E.isLeft(listed)) {
          console.error(`cannot read payment attempts: ${listed.left.message}`);
          process.exitCode = 2;
          return;
        }
        if (opts.json === true) console.log(JSON.stringify(listed.right.map(toJson), null, 2));
        else if (listed.right.length === 0) console.log("no unresolved payments");
        else for (const a of listed.right) console.log(row(a));
      } finally {
        await pool.end();
      }
    });

  payments
    .command("resolve")
    .description("settle an unresolved payment: --succeeded PAYMENT_ID or --failed REASON")
    .argument("<orderId>", "the order id (the gateway's idempotency key)")
    .option("--succeeded <paymentId>", "the provider confirms the charge: the units are sold")
    .option("--failed <reason>", "the provider confirms no charge: the units are released")
    .option("--force", "also settle an order the saga is still charging")
    .action(async (orderId: string, opts: { succeeded?: string; failed?: string; force?: boolean }) => {
      if ((opts.succeeded === undefined) === (opts.failed === undefined)) {
        console.error("give exactly one of --succeeded PAYMENT_ID or --failed REASON");
        process.exitCode = 2;
        return;
      }
      const resolution: Resolution =
        opts.succeeded !== undefined
          ? { _tag: "Succeeded", paymentId: opts.succeeded }
          : { _tag: "Failed", reason: opts.failed ?? "" };
      const config = loadConfig();
      const clients = await openPaymentsClients(config, makeLogger({ level: "warn" })).catch((e: unknown) => {
        console.error(`cannot reach the database or the command queue: ${messageOf(e)}`);
        process.exit(2);
      });
      try {
        const ready = await clients.attempts.ensureSchema()();
        const r = E.isLeft(ready)
          ? ready
          : await resolvePayment({ attempts: clients.attempts, sink: clients.queue }, orderId, resolution, {
              force: opts.force === true,
            });
        if (E.isRight(r)) {
          console.log(`order ${orderId}: ${r.right.state} (command enqueued)`);
          return;
        }
        const e = r.left;
        switch (e._tag) {
          case "UnknownOrder":
            console.error(`order ${orderId} is unknown to the payment saga`);
            process.exitCode = 1;
            break;
          case "AlreadySettled":
            console.error(`order ${orderId} is not unresolved (it is ${e.state}); nothing changed`);
            process.exitCode = 1;
            break;
          case "EnqueueFailed":
            console.error(`order ${orderId}: the command queue refused the command (${e.cause._tag})`);
            process.exitCode = 2;
            break;
          case "AttemptsUnavailable":
          case "InvalidAttemptRow":
            console.error(`cannot read payment attempts: ${e.message}`);
            process.exitCode = 2;
            break;
          default:
            return absurd(e);
        }
      } finally {
        await clients.close();
      }
    });
};
