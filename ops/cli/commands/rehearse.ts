import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { authSettings, decodeConfigSlice, postgresSettings } from "../../../infra/config/config.ts";
import { type Deployment, startDeployment, targetDeployment } from "../../rehearse/deployment.ts";
import { parseOptions, type RawOptions } from "../../rehearse/options.ts";
import { rehearse } from "../../rehearse/rehearse.ts";
import { reportHtml } from "../../rehearse/report-html.ts";
import { overallLatency } from "../../rehearse/series.ts";
import { messageOf } from "../../../infra/errors/message-of.ts";

/**
 * `holdfast rehearse`: a flash sale against a throwaway holdfast it starts itself (own database,
 * namespace, processes, and private Kafka/Redis for the faults that restart or pause them), or against a
 * running one (`--target URL`, no faults). Exit 0 when every invariant holds, 1 on a violation, 2 when it
 * could not run.
 */
export const registerRehearse = (program: Command): void => {
  program
    .command("rehearse")
    .description(
      "rehearse a flash sale (optionally with faults) and check every invariant from the answers and the log",
    )
    .option("--stock <n>", "units on sale", "2000")
    .option("--shoppers <n>", "distinct shoppers", "3000")
    .option("--requests <n>", "reservation requests", "5000")
    .option("--concurrency <n>", "requests in flight at most", "64")
    .option("--duration <seconds>", "arrival window: a burst at T0 decaying over it", "30")
    .option("--per-user-limit <n>", "per-shopper limit of the SKU", "2")
    .option("--checkouts <share>", "share of holds that check out (0-1)", "0.3")
    .option(
      "--faults <list>",
      "kill-handler, kill-write-api, restart-kafka, pause-redis as name[@seconds[:seconds]], or none " +
        "(default when self-started: kill-handler@3,kill-write-api@10,restart-kafka@16,pause-redis@26)",
    )
    .option(
      "--target <url>",
      "a running holdfast (HOLDFAST_JWT_SECRET and DATABASE_URL from the environment)",
    )
    .option("--report <file.html>", "write the self-contained HTML report")
    .option("--json <file>", "write every measurement as JSON")
    .option("--seed <n>", "seed of the planned sale", "1")
    .action(async (raw: RawOptions) => {
      const parsed = parseOptions(raw);
      if (E.isLeft(parsed)) {
        process.stderr.write(`holdfast rehearse: ${parsed.left}\n`);
        process.exit(2);
      }
      const o = parsed.right;
      const tty = process.stderr.isTTY === true;
      let lastPrinted = 0;
      const progress = (line: string, final = false) => {
        if (tty && !final) process.stderr.write(`\r\x1b[2K${line}`);
        else if (final || Date.now() - lastPrinted > 5000) {
          lastPrinted = Date.now();
          process.stderr.write(`${tty ? "\r\x1b[2K" : ""}${line}\n`);
        }
      };
      let d: Deployment;
      try {
        if (o.target === null) d = await startDeployment(o, (l) => progress(l, true));
        else {
          // Against a running holdfast: tokens signed with its secret, the log read from its database.
          const config = decodeConfigSlice({ ...postgresSettings, ...authSettings }, process.env);
          if (E.isLeft(config)) {
            process.stderr.write(`holdfast rehearse: ${config.left.variable}: ${config.left.message}\n`);
            process.exit(2);
          }
          d = await targetDeployment(o.target, config.right);
        }
      } catch (e) {
        process.stderr.write(`holdfast rehearse: could not start: ${messageOf(e)}\n`);
        process.exit(2);
      }
      const stop = () => {
        process.stderr.write("\nholdfast rehearse: interrupted; stopping what it started\n");
        void d.close().finally(() => process.exit(2));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let code = 2;
      try {
        const r = await rehearse(o, d, progress);
        if (o.json !== null) writeFileSync(o.json, `${JSON.stringify(r, null, 1)}\n`);
        if (o.report !== null) writeFileSync(o.report, reportHtml(r));
        const lat = overallLatency(r);
        const out = [
          `rehearsal ${r.skuId}: ${r.summary.requests} requests in ${(r.durationMs / 1000).toFixed(0)} s, ` +
            `${r.summary.unitsGranted} units granted of ${o.stock}; reserve P50/P95/P99 ${lat.p50}/${lat.p95}/${lat.p99} ms`,
          `answers: ${Object.entries(r.summary.answers)
            .map(([k, v]) => `${k} ×${v}`)
            .join(", ")}`,
          `orders: ${
            Object.entries(r.summary.orders)
              .map(([k, v]) => `${k} ×${v}`)
              .join(", ") || "none"
          }`,
          ...r.faults.map(
            (f) =>
              `fault ${f.fault} at ${(f.startMs / 1000).toFixed(1)} s, back at ${(f.endMs / 1000).toFixed(1)} s${f.error ? ` (${f.error})` : ""}`,
          ),
          ...r.checks.map((c) => `${c.ok ? "ok  " : "FAIL"} ${c.name} (${c.source}): ${c.detail}`),
          r.ok ? "every invariant holds" : "INVARIANT VIOLATED",
          ...(o.report === null ? [] : [`report: ${o.report}`]),
        ];
        process.stdout.write(`${out.join("\n")}\n`);
        code = r.ok ? 0 : 1;
      } catch (e) {
        process.stderr.write(
          `\nholdfast rehearse: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
        );
      } finally {
        await d.close();
      }
      process.exit(code);
    });
};
