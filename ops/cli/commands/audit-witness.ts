import { Partitioners } from "kafkajs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { decodeCheckpoint, isTreeHead, keyId, type TreeHead } from "../../../event-schemas/index.ts";
import { decodeConfigSlice, kafkaSettings } from "../../../infra/config/config.ts";
import { makeKafka } from "../../../infra/kafka/client.ts";
import {
  checkpointsTopic,
  cosignatureMessage,
  ensureCheckpointsTopic,
} from "../../../projections/checkpoints/topic.ts";
import {
  CannotRun,
  EXIT_CLEAN,
  EXIT_VIOLATION,
  exitTwoOnUsageError,
  readText,
  runAction,
  withStore,
} from "../../audit/cli-support.ts";
import { Witness } from "../../audit/witness.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);

interface WitnessOptions {
  pubkey: string;
  key: string;
  topic?: string;
  namespace: string;
  from: string;
  state?: string;
  out?: string;
  group?: string;
}

const loadState = async (file: string | undefined): Promise<Map<string, TreeHead>> => {
  const m = new Map<string, TreeHead>();
  if (file === undefined) return m;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return m; // a first run: no state yet
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CannotRun(`${file}: not JSON: ${(e as Error).message}`);
  }
  for (const [id, h] of Object.entries(raw as Record<string, unknown>)) {
    const d = decodeCheckpoint(h);
    if (E.isLeft(d) || !isTreeHead(d.right)) throw new CannotRun(`${file}: ${id}: not a tree head`);
    m.set(id, d.right);
  }
  return m;
};

const saveState = async (file: string, m: Map<string, TreeHead>) => {
  await writeFile(`${file}.tmp`, `${JSON.stringify(Object.fromEntries(m), null, 2)}\n`);
  await rename(`${file}.tmp`, file);
};

/**
 * `holdfast audit witness`: follow the checkpoints topic, co-sign each head that extends the last one
 * of its stream (publishing `{head, witness, signature}` to the topic, and with `--out` as a file), and
 * stop with exit 1 and an ALARM on the first head that does not.
 */
const runWitness = (opts: WitnessOptions) =>
  withStore(async (store) => {
    const operatorPem = await readText(opts.pubkey, "operator public key");
    const witnessPem = await readText(opts.key, "witness private key");
    const config = decodeConfigSlice(kafkaSettings, process.env);
    if (E.isLeft(config)) throw new CannotRun(config.left.message);
    const topic = opts.topic ?? checkpointsTopic(opts.namespace);
    const witness = new Witness(store, operatorPem, witnessPem, await loadState(opts.state));
    // The witness's id, from its public key: also the default consumer group, so a restart resumes.
    const { createPublicKey } = await import("node:crypto");
    let id: string;
    try {
      const pub = createPublicKey(witnessPem).export({ type: "spki", format: "pem" }).toString();
      const k = keyId(pub);
      if (E.isLeft(k)) throw new Error(k.left.message);
      id = k.right;
    } catch (e) {
      throw new CannotRun(`the witness key: ${(e as Error).message}`);
    }
    if (opts.out !== undefined) await mkdir(opts.out, { recursive: true });
    const kafka = makeKafka(config.right, { clientId: "holdfast-witness" });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await ensureCheckpointsTopic(admin, topic);
      await admin.disconnect();
    } catch (e) {
      throw new CannotRun(`Kafka is unreachable: ${(e as Error).message}`);
    }
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: opts.group ?? `holdfast-witness-${id.slice(8, 24)}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: opts.from !== "latest" });
    out(`witness ${id} following ${topic}`);
    const finished = new Promise<number>((resolve) => {
      const stop = () => resolve(EXIT_CLEAN);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.headers?.["holdfast-kind"]?.toString() !== "head") return;
            let raw: unknown;
            try {
              raw = JSON.parse(message.value?.toString("utf8") ?? "");
            } catch {
              out(`ignored: a head message that is not JSON (offset ${message.offset})`);
              return;
            }
            const head = decodeCheckpoint(raw);
            if (E.isLeft(head)) {
              out(`ignored: ${head.left} (offset ${message.offset})`);
              return;
            }
            const v = await witness.observe(head.right);
            switch (v._tag) {
              case "Ignored":
                out(`ignored: ${v.reason}`);
                return;
              case "Alarm":
                out(
                  `ALARM: ${v.head.streamId} head of ${v.head.size} events (root ${v.head.root}, signed ${v.head.signedAt}) does not extend ${v.previous === null ? "the log" : `the last co-signed head of ${v.previous.size} events (root ${v.previous.root})`}: ${v.reason}`,
                );
                resolve(EXIT_VIOLATION);
                return;
              case "Cosigned": {
                await producer.send({ topic, acks: -1, messages: [cosignatureMessage(v.cosignature)] });
                if (opts.out !== undefined)
                  await writeFile(
                    join(
                      opts.out,
                      `${v.cosignature.head.streamId}-${(v.cosignature.head as TreeHead).size}.cosig.json`,
                    ),
                    `${JSON.stringify(v.cosignature, null, 2)}\n`,
                  );
                if (opts.state !== undefined) await saveState(opts.state, witness.lastSeen);
                const h = v.cosignature.head as TreeHead;
                out(
                  `co-signed ${h.streamId} at ${h.size} events (root ${h.root.slice(0, 12)}…)${v.previous === null ? " (first head seen: checked against the log)" : `: extends ${v.previous.size}`}`,
                );
                return;
              }
              default:
                return v satisfies never;
            }
          },
        })
        .catch(() => resolve(EXIT_VIOLATION));
    });
    const code = await finished;
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    return code;
  });

export const registerAuditWitness = (audit: Command): void => {
  exitTwoOnUsageError(
    audit
      .command("witness")
      .description(
        "follow holdfast.sku-checkpoints.v1, check each head extends the last one seen (RFC 9162 consistency, computed from the log), publish co-signatures; exit 1 with an ALARM on a head that does not extend",
      )
      .requiredOption("--pubkey <file>", "the operator's public key (PEM) that signs the heads")
      .requiredOption("--key <file>", "this witness's Ed25519 private key (PEM)")
      .option("--state <file>", "remember the last co-signed head per stream here between runs")
      .option("--out <dir>", "also write each co-signature to DIR/<stream>-<size>.cosig.json")
      .option("--from <where>", "earliest|latest, where a new witness starts reading", "earliest")
      .option("--topic <name>", "the checkpoints topic (default holdfast.sku-checkpoints.v1)")
      .option("--namespace <name>", "the holdfast serve namespace whose topic to follow", "")
      .option("--group <id>", "Kafka consumer group (default one per witness key)"),
  ).action((opts: WitnessOptions) => runAction(() => runWitness(opts)));
};
