import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { Partitioners, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cosignature,
  cosignatureValid,
  generateKeyPair,
  MerkleTree,
  type Sha256Hex,
  signCheckpoint,
  type TreeHead,
  toHex,
} from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { makeKafka } from "../../infra/kafka/client.ts";
import { type RunningPublisher, startCheckpointPublisher } from "../../projections/checkpoints/publisher.ts";
import { ensureCheckpointsTopic, headMessage } from "../../projections/checkpoints/topic.ts";
import { waitFor } from "../serve/testing/harness.ts";
import { buildProofV2, checkProofV2 } from "./proof-v2.ts";
import { openStore, testDatabases } from "./testing/databases.ts";
import { runSale, type SaleResult } from "./testing/sale.ts";
import { Tamper } from "./testing/tamper.ts";

/**
 * Witnessed heads against real PostgreSQL and the shared Kafka (a topic of this test's own): the
 * checkpoint publisher signs the sale's head onto the topic, `holdfast audit witness` (the CLI, as a
 * witness runs it) co-signs it and the next one after the stream grows, `check-proof --witnesses`
 * counts the co-signatures, and a head signed over a rewritten history makes the witness raise an
 * alarm and exit 1.
 */
const REPO = new URL("../..", import.meta.url).pathname;
const STREAM = "sku-tee";
const BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const dbs = testDatabases("hf_witness");
const topic = `holdfast.sku-checkpoints.v1.test-${randomBytes(4).toString("hex")}`;
const kafka = makeKafka({ kafkaBrokers: BROKERS }, { clientId: "holdfast-witness-test" });
let dir: string;
let store: EventStore;
let sale: SaleResult;
let producer: Producer;
let publisher: RunningPublisher | null = null;
let witness: ChildProcess | null = null;
let witnessOut = "";
let witnessExit: number | null = null;
const op = generateKeyPair();
const w = generateKeyPair();
const stranger = generateKeyPair();

const path = (name: string) => join(dir, name);
const cosigned = (size: number) =>
  waitFor(
    `the witness's co-signature at ${size} events`,
    async () =>
      JSON.parse(await readFile(path(`cosigs/${STREAM}-${size}.cosig.json`), "utf8")) as Cosignature,
    60_000,
  );
const eventCount = async () => {
  const t = await Tamper.connect(dbs.baseUrl, STREAM);
  const n = (await t.envelopes()).length;
  await t.close();
  return n;
};

beforeAll(async () => {
  await dbs.create();
  store = await openStore(dbs.baseUrl);
  sale = await runSale(store, { seed: 5, shoppers: 60, stock: 40, chunks: 16, close: false });
  dir = await mkdtemp(join(tmpdir(), "hf-witness-"));
  await writeFile(path("op.pub"), op.publicPem);
  await writeFile(path("w.key"), w.privatePem);
  const admin = kafka.admin();
  await admin.connect();
  await ensureCheckpointsTopic(admin, topic);
  await admin.disconnect();
  producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  publisher = await startCheckpointPublisher({
    store,
    privatePem: op.privatePem,
    everyEvents: 1_000_000,
    everyMs: 100,
    publish: async (heads) => {
      await producer.send({ topic, acks: -1, messages: heads.map(headMessage) });
    },
  });
  witness = spawn(
    process.execPath,
    [
      join(REPO, "ops/bin/holdfast.mjs"),
      ...["audit", "witness", "--pubkey", path("op.pub"), "--key", path("w.key"), "--topic", topic],
      ...[
        "--out",
        path("cosigs"),
        "--state",
        path("state.json"),
        "--group",
        `witness-test-${randomBytes(4).toString("hex")}`,
      ],
    ],
    {
      cwd: REPO,
      env: {
        ...process.env,
        DATABASE_URL: dbs.baseUrl,
        EVENTSTORE_URL: "",
        KAFKA_BROKERS: BROKERS.join(","),
      },
    },
  );
  witness.stdout?.on("data", (d) => {
    witnessOut += d.toString();
  });
  witness.stderr?.on("data", (d) => {
    witnessOut += d.toString();
  });
  witness.on("exit", (code) => {
    witnessExit = code;
  });
}, 120_000);

afterAll(async () => {
  if (witness !== null && witnessExit === null) witness.kill("SIGTERM");
  await publisher?.stop();
  await producer?.disconnect();
  await store?.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await dbs.dropAll();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("witnessed tree heads", () => {
  let first: Cosignature;
  let second: Cosignature;

  it("the publisher signs the sale's head and the witness co-signs it", async () => {
    const n = await eventCount();
    first = await cosigned(n);
    const head = first.head as TreeHead;
    expect(head).toMatchObject({ streamId: STREAM, size: n, revision: n - 1 });
    const t = await Tamper.connect(dbs.baseUrl, STREAM);
    const events = await t.envelopes();
    await t.close();
    expect(head.root).toBe(toHex(MerkleTree.fromEventHashes(events.map((e) => e.hash)).root()));
    expect(cosignatureValid(first, w.publicPem)).toEqual(E.right(true));
    expect(cosignatureValid(first, stranger.publicPem)).toEqual(E.right(false));
  });

  it("the stream grows: a new head, checked consistent with the last one, co-signed again", async () => {
    const before = await eventCount();
    await sale.addStock(5);
    second = await cosigned(before + 1);
    // The witness writes the co-signature, then says what it checked: wait for its line, not only the file.
    const said = await waitFor(
      "the witness to report the new head's consistency",
      async () => witnessOut.includes(`at ${before + 1} events`),
      10_000,
    );
    expect(said).toBe(true);
    expect(witnessOut).toContain(`extends ${before}`);
  });

  it("check-proof can require K witnesses' co-signatures of the head", async () => {
    const head = second.head as TreeHead;
    const t = await Tamper.connect(dbs.baseUrl, STREAM);
    const placed = (await t.envelopes()).find((e) => e.type === "ReservationPlaced")!;
    await t.close();
    const b = await buildProofV2(store, head, placed.data.reservationId as string, [second]);
    if (E.isLeft(b)) throw new Error(JSON.stringify(b.left));
    const bundle = JSON.parse(JSON.stringify(b.right));
    expect(E.isRight(checkProofV2(bundle, op.publicPem, { count: 1, keys: [w.publicPem] }))).toBe(true);
    expect(
      checkProofV2(bundle, op.publicPem, { count: 2, keys: [w.publicPem, stranger.publicPem] }),
    ).toMatchObject(E.left(expect.stringMatching(/1 valid co-signature/)));
    expect(E.isLeft(checkProofV2(bundle, op.publicPem, { count: 1, keys: [stranger.publicPem] }))).toBe(true);
  });

  it("a head signed over a rewritten history makes the witness raise an alarm and exit 1", async () => {
    await publisher?.stop();
    publisher = null;
    const t = await Tamper.connect(dbs.baseUrl, STREAM);
    const victim = (await t.envelopes()).find((e) => e.type === "ReservationPlaced" && e.revision > 3)!;
    await t.rewriteAndReseal(victim.revision, (e) => ({
      ...e,
      data: { ...e.data, userId: "shopper-forged" },
    }));
    const rewritten = await t.envelopes();
    await t.close();
    // The operator (or whoever holds its key) signs the rewritten log: the chain itself verifies again.
    const last = rewritten[rewritten.length - 1]!;
    const forged = signCheckpoint(
      {
        streamId: STREAM,
        revision: last.revision,
        hash: last.hash as Sha256Hex,
        size: rewritten.length,
        root: toHex(MerkleTree.fromEventHashes(rewritten.map((e) => e.hash)).root()) as Sha256Hex,
        signedAt: new Date().toISOString() as TreeHead["signedAt"],
      },
      op.privatePem,
    );
    if (E.isLeft(forged)) throw new Error(forged.left.message);
    await producer.send({ topic, acks: -1, messages: [headMessage(forged.right as TreeHead)] });
    const code = await waitFor("the witness to exit", async () => witnessExit ?? null, 60_000);
    expect(code).toBe(1);
    expect(witnessOut).toContain("ALARM");
    expect(witnessOut).toContain(
      `does not extend the last co-signed head of ${(second.head as TreeHead).size} events`,
    );
  });
});
