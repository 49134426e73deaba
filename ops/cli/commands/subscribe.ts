import { Identifier } from "../../../event-schemas/index.ts";
import { absurd } from "fp-ts/lib/function.js";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { decodeConfigSlice, kafkaSettings } from "../../../infra/config/config.ts";
import { makeKafka } from "../../../infra/kafka/client.ts";
import { makeLogger } from "../../../infra/observability/logger.ts";
import { readSideNamesFor } from "../../../projections/names.ts";
import { tailIntegrationTopic } from "../../../projections/relay/tail.ts";

/**
 * `holdfast subscribe [--from earliest|latest] [--sku ID]`: tail the integration topic and check each
 * event's hash link (recomputed hash, headers, prevHash continuity per stream). One line per event;
 * a broken link is printed to stderr and makes the exit code 1 when the command is stopped (Ctrl-C).
 */
export const registerSubscribe = (program: Command): void => {
  program
    .command("subscribe")
    .description("tail holdfast.sku-events.v1, checking every event's hash link")
    .option("--from <where>", "earliest or latest", "latest")
    .option("--sku <id>", "only this SKU")
    .option("--namespace <name>", "the `holdfast serve --namespace` to look at", "")
    .option("--json", "print each event envelope as a JSON line")
    .action(async (opts: { from: string; sku?: string; namespace: string; json?: boolean }) => {
      if (opts.from !== "earliest" && opts.from !== "latest") {
        process.stderr.write("holdfast subscribe: --from must be earliest or latest\n");
        process.exit(2);
      }
      if (opts.sku !== undefined && !Identifier.is(opts.sku)) {
        process.stderr.write("holdfast subscribe: --sku must be 1-64 of letters, digits, '.', '_' and '-'\n");
        process.exit(2);
      }
      const config = decodeConfigSlice(kafkaSettings, process.env);
      if (E.isLeft(config)) {
        process.stderr.write(`holdfast subscribe: ${config.left.variable}: ${config.left.message}\n`);
        process.exit(2);
      }
      const topic = readSideNamesFor(opts.namespace).integrationTopic;
      const kafka = makeKafka(config.right, {
        clientId: "holdfast-subscribe",
        logger: makeLogger({ level: "error" }),
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        const topics = await admin.listTopics();
        await admin.disconnect();
        if (!topics.includes(topic)) {
          process.stderr.write(
            `holdfast subscribe: topic ${topic} does not exist yet (no projector has run)\n`,
          );
          process.exit(2);
        }
      } catch (e) {
        process.stderr.write(
          `holdfast subscribe: Kafka unavailable at ${config.right.kafkaBrokers.join(",")}: ${String(e)}\n`,
        );
        process.exit(2);
      }
      let ok = 0;
      let broken = 0;
      let duplicates = 0;
      const tail = await tailIntegrationTopic({
        kafka,
        topic,
        from: opts.from,
        ...(opts.sku === undefined ? {} : { skuId: opts.sku }),
        onVerdict: (v, meta) => {
          switch (v._tag) {
            case "Linked": {
              ok += 1;
              const e = v.envelope;
              if (opts.json === true) process.stdout.write(`${JSON.stringify(e)}\n`);
              else
                process.stdout.write(
                  `ok   ${e.streamId}@${e.revision} ${e.type} ${e.occurredAt} hash ${e.hash.slice(0, 12)}…${v.firstSeen && e.revision > 0 ? " (first seen: link to earlier revisions not checked)" : ""}\n`,
                );
              return;
            }
            case "Duplicate":
              duplicates += 1;
              process.stdout.write(
                `dup  ${v.envelope.streamId}@${v.envelope.revision} (redelivered; ce_id ${v.envelope.eventId})\n`,
              );
              return;
            case "Broken":
              broken += 1;
              process.stderr.write(
                `BROKEN ${v.streamId}@${v.revision ?? "?"} (partition ${meta.partition}, offset ${meta.offset}): ${v.reason}\n`,
              );
              return;
            default:
              return absurd(v);
          }
        },
      });
      process.stderr.write(`holdfast subscribe: tailing ${topic} from ${opts.from}; Ctrl-C to stop\n`);
      const stop = async () => {
        await tail.stop();
        process.stderr.write(
          `holdfast subscribe: ${ok} linked, ${duplicates} duplicates, ${broken} broken\n`,
        );
        process.exit(broken > 0 ? 1 : 0);
      };
      process.once("SIGINT", () => void stop());
      process.once("SIGTERM", () => void stop());
    });
};
