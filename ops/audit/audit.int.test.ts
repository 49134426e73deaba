import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, type EventEnvelope, hashEvent } from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";
import { verifyCheckpoint } from "./checkpoint-verify.ts";
import { type Checkpoint, generateKeyPair, signCheckpoint } from "./checkpoint.ts";
import { buildProof, checkProof, type ProofBundle } from "./proof.ts";
import { runSale } from "./testing/sale.ts";
import { Tamper } from "./testing/tamper.ts";
import { type AuditReport, verifyStore } from "./verify-store.ts";
import type { Rule } from "./violation.ts";

/**
 * The auditor against real PostgreSQL: a sale decided by the command handler's own decideChunk and
 * appended to a throwaway database, then cloned (CREATE DATABASE … TEMPLATE) once per tamper, each
 * tamper done with SQL on the stored rows.
 */
const SERVER = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
const REPO = new URL("../..", import.meta.url).pathname;
const STREAM = "sku-tee";

const urlOf = (name: string) => {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
};
const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: urlOf("postgres") });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

const base = `hf_audit_${randomBytes(5).toString("hex")}`;
const created: string[] = [];
let events: EventEnvelope[] = [];
let keys: { privatePem: string; publicPem: string };
let tipCheckpoint: Checkpoint;
let tmp: string;

const clone = async (): Promise<string> => {
  const name = `${base}_${created.length}`;
  await admin(`create database ${name} template ${base}`);
  created.push(name);
  return urlOf(name);
};

const openStore = async (url: string): Promise<EventStore> => {
  const s = await makePostgresEventStore({ connectionString: url, maxConnections: 2 })();
  if (E.isLeft(s)) throw new Error(JSON.stringify(s.left));
  return s.right;
};

const audit = async (url: string): Promise<AuditReport> => {
  const store = await openStore(url);
  try {
    const r = await verifyStore(store, { pageSize: 200 });
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    return r.right;
  } finally {
    await store.close();
  }
};

const found = (r: AuditReport) =>
  r.streams.flatMap((s) => s.violations.map((v) => ({ rule: v.rule, revision: v.revision })));
const expectViolation = (r: AuditReport, rule: Rule, revision: number) => {
  expect(r.ok).toBe(false);
  expect(found(r)).toContainEqual({ rule, revision });
};

const cli = (args: ReadonlyArray<string>, databaseUrl: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, "ops/bin/holdfast.mjs"), ...args],
      { cwd: REPO, env: { ...process.env, DATABASE_URL: databaseUrl, EVENTSTORE_URL: "" } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
    );
  });

/** The first event of `type` at or after `from` matching `pred`. */
const find = (type: string, pred: (e: EventEnvelope) => boolean = () => true, from = 1) => {
  const e = events.find((x) => x.revision >= from && x.type === type && pred(x));
  if (e === undefined) throw new Error(`no ${type} in the sale`);
  return e;
};
const isRelease = (e: EventEnvelope) =>
  ["ReservationCancelled", "ReservationExpired", "PaymentFailed", "StockAdded"].includes(e.type);

beforeAll(async () => {
  await admin(`create database ${base}`);
  const store = await openStore(urlOf(base));
  await runSale(store, { seed: 11, shoppers: 150, stock: 100, chunks: 48 });
  await store.close();
  const t = await Tamper.connect(urlOf(base), STREAM);
  events = await t.envelopes();
  await t.close();
  keys = generateKeyPair();
  const last = events[events.length - 1]!;
  const cp = signCheckpoint(
    {
      streamId: STREAM,
      revision: last.revision,
      hash: last.hash,
      signedAt: "2026-11-21T13:00:00.000Z" as Checkpoint["signedAt"],
    },
    keys.privatePem,
  );
  if (E.isLeft(cp)) throw new Error(cp.left.message);
  tipCheckpoint = cp.right;
  tmp = await mkdtemp(join(tmpdir(), "hf-audit-"));
});

afterAll(async () => {
  for (const name of [...created, base]) await admin(`drop database if exists ${name} with (force)`);
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

describe("a clean sale", () => {
  it("has every kind of decision and verifies clean", async () => {
    const types = new Set(
      events.map((e) => (e.type === "ReservationRejected" ? `${e.type}:${e.data.reason}` : e.type)),
    );
    for (const t of [
      "ReservationRejected:sold-out",
      "ReservationCancelled",
      "ReservationExpired",
      "PaymentSucceeded",
      "PaymentFailed",
      "StockAdded",
    ])
      expect(types).toContain(t);
    expect(
      events.some((e) => e.type === "ReservationPlaced" && e.data.quantity !== e.data.quantityRequested),
    ).toBe(true);
    const r = await audit(urlOf(base));
    expect(found(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.events).toBe(events.length);
  });

  it("the CLI exits 0 and says CLEAN; --json is machine-readable", async () => {
    const url = await clone();
    const human = await cli(["audit", "verify"], url);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("CLEAN");
    const json = await cli(["audit", "verify", "--sku", "tee", "--json"], url);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, violationCount: 0, events: events.length });
  });

  it("the CLI exits 2 with a clear message when the database is unreachable", async () => {
    const r = await cli(["audit", "verify"], "postgres://postgres@127.0.0.1:1/holdfast");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/event store is unreachable/);
  });
});

describe("tampering with the stored rows", () => {
  it("one byte of data changed: the event no longer hashes (CLI exit 1, named at its revision)", async () => {
    const url = await clone();
    const target = find("ReservationPlaced", (e) => e.revision > 20);
    const t = await Tamper.connect(url, STREAM);
    await t.flipByte(
      target.revision,
      '"quantity":',
      String(target.data.quantity),
      String((Number(target.data.quantity) % 3) + 1),
    );
    await t.close();
    const r = await cli(["audit", "verify", "--json"], url);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as AuditReport;
    expectViolation(report, "chain/corrupt-event", target.revision);
    // Every other event is still checked: nothing else on the chain is reported.
    expect(found(report).filter((v) => v.rule.startsWith("chain/"))).toEqual([
      { rule: "chain/corrupt-event", revision: target.revision },
    ]);
    const human = await cli(["audit", "verify"], url);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`sku-tee r${target.revision}  chain/corrupt-event`);
  });

  it("data changed and that event's hash recomputed: the next link breaks, naming the changed revision", async () => {
    const url = await clone();
    const target = find("OrderPlaced");
    const t = await Tamper.connect(url, STREAM);
    await t.rewrite(target.revision, (e) => ({ ...e, data: { ...e.data, amountCents: 1 } }));
    await t.close();
    const r = await audit(url);
    expectViolation(r, "chain/broken-link", target.revision);
    expect(found(r)).toContainEqual({ rule: "invariant/consistency", revision: target.revision });
  });

  it("data changed and the rest of the chain recomputed: the chain verifies, the signed checkpoint does not", async () => {
    const url = await clone();
    const target = find("PaymentSucceeded");
    const t = await Tamper.connect(url, STREAM);
    // A field that only the event itself records: no invariant or replay can contradict it.
    await t.rewriteAndReseal(target.revision, (e) => ({
      ...e,
      data: { ...e.data, paymentId: "pay-forged" },
    }));
    await t.close();
    expect(found(await audit(url))).toEqual([]);
    const store = await openStore(url);
    const r = await verifyCheckpoint(store, tipCheckpoint);
    await store.close();
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    expect(r.right.ok).toBe(false);
    expect(r.right.violations.map((v) => ({ rule: v.rule, revision: v.revision }))).toEqual([
      { rule: "checkpoint/diverged", revision: tipCheckpoint.revision },
    ]);
    // The same through the CLI, with the signature checked.
    await writeFile(join(tmp, "cp.json"), JSON.stringify(tipCheckpoint));
    await writeFile(join(tmp, "pub.pem"), keys.publicPem);
    const c = await cli(
      ["audit", "verify", "--checkpoint", join(tmp, "cp.json"), "--pubkey", join(tmp, "pub.pem")],
      url,
    );
    expect(c.code).toBe(1);
    expect(c.stdout).toContain("checkpoint/diverged");
    const clean = await cli(
      ["audit", "verify", "--checkpoint", join(tmp, "cp.json"), "--pubkey", join(tmp, "pub.pem")],
      await clone(),
    );
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("signature valid");
  });

  it("a middle event deleted: a revision gap at that revision", async () => {
    const url = await clone();
    const target = events[Math.floor(events.length / 2)]!;
    const t = await Tamper.connect(url, STREAM);
    await t.deleteRow(target.revision);
    await t.close();
    const r = await audit(url);
    expectViolation(r, "chain/revision-gap", target.revision);
    expect(r.streams[0]!.semanticChecksStoppedAt).toBe(target.revision);
  });

  it("two events swapped: named at the first of them", async () => {
    const url = await clone();
    const a = find("ReservationCancelled");
    const t = await Tamper.connect(url, STREAM);
    await t.swap(a.revision, a.revision + 1);
    await t.close();
    const r = await audit(url);
    expectViolation(r, "chain/revision-gap", a.revision);
    expectViolation(r, "chain/revision-order", a.revision);
  });

  it("a rejected request turned into a hold, hashes recomputed: decision replay and the stock invariant catch it", async () => {
    const url = await clone();
    const target = find(
      "ReservationRejected",
      (e) => e.data.reason === "sold-out" && e.data.allowPartial === false,
    );
    const t = await Tamper.connect(url, STREAM);
    await t.rewriteAndReseal(target.revision, (e) => ({
      ...e,
      type: "ReservationPlaced",
      schemaVersion: 2,
      data: {
        reservationId: e.data.reservationId,
        userId: e.data.userId,
        quantityRequested: e.data.quantityRequested,
        quantity: e.data.quantityRequested,
        allowPartial: false,
        expiresAt: new Date(Date.parse(e.occurredAt) + 120_000).toISOString(),
      },
    }));
    await t.close();
    const r = await audit(url);
    expect(found(r).filter((v) => v.rule.startsWith("chain/"))).toEqual([]);
    expectViolation(r, "replay/decision-mismatch", target.revision);
    expectViolation(r, "invariant/oversold", target.revision);
  });

  it("a fairness violation injected (an earlier request refused while a later one is served): fairness names both", async () => {
    const url = await clone();
    // A one-unit, all-or-nothing hold followed by another hold before any unit is returned.
    const victim = events.find((e, i) => {
      if (e.type !== "ReservationPlaced" || e.data.quantityRequested !== 1 || e.data.allowPartial !== false)
        return false;
      for (const next of events.slice(i + 1)) {
        if (isRelease(next)) return false;
        if (next.type === "ReservationPlaced") return true;
      }
      return false;
    });
    if (victim === undefined) throw new Error("no suitable hold in the sale");
    const later = events.find((e) => e.revision > victim.revision && e.type === "ReservationPlaced")!;
    const t = await Tamper.connect(url, STREAM);
    await t.rewriteAndReseal(victim.revision, (e) => ({
      ...e,
      type: "ReservationRejected",
      schemaVersion: 1,
      data: {
        reservationId: e.data.reservationId,
        userId: e.data.userId,
        quantityRequested: 1,
        allowPartial: false,
        reason: "sold-out",
      },
    }));
    await t.close();
    const r = await audit(url);
    expectViolation(r, "fairness/first-come-first-served", victim.revision);
    expectViolation(r, "fairness/first-come-first-served", later.revision);
  });
});

describe("proof bundles", () => {
  let bundle: ProofBundle;

  beforeAll(async () => {
    const ordered = find("PaymentSucceeded");
    const store = await openStore(urlOf(base));
    const r = await buildProof(store, tipCheckpoint, ordered.data.reservationId as string);
    await store.close();
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    bundle = r.right;
  });

  it("a genuine bundle checks offline, listing the reservation's events", () => {
    const r = checkProof(JSON.parse(JSON.stringify(bundle)), keys.publicPem);
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r))
      expect(r.right.events.map((e) => e.event.type)).toEqual([
        "ReservationPlaced",
        "OrderPlaced",
        "PaymentSucceeded",
      ]);
  });

  it("forged bundles are rejected: edited event, re-sealed path, foreign key, dropped event", () => {
    const copy = () => JSON.parse(JSON.stringify(bundle)) as ProofBundle & { path: EventEnvelope[] };
    const edited = copy();
    (edited.path[0]!.data as Record<string, unknown>).quantity = 3;
    expect(checkProof(edited, keys.publicPem)).toEqual(E.left(expect.stringMatching(/hash-mismatch/)));

    const resealed = copy();
    (resealed.path[0]!.data as Record<string, unknown>).userId = "mallory";
    let prev = resealed.path[0]!.prevHash;
    for (const e of resealed.path) {
      e.prevHash = prev as EventEnvelope["prevHash"];
      e.hash = hashEvent(prev, e);
      prev = e.hash;
    }
    expect(checkProof(resealed, keys.publicPem)).toEqual(E.left(expect.stringMatching(/checkpoint signed/)));

    const other = generateKeyPair();
    const resigned = copy();
    const forged = signCheckpoint(
      { ...resealed.checkpoint, hash: prev as Checkpoint["hash"] },
      other.privatePem,
    );
    if (E.isLeft(forged)) throw new Error("sign");
    resigned.path = resealed.path;
    resigned.checkpoint = forged.right;
    expect(checkProof(resigned, keys.publicPem)).toEqual(
      E.left(expect.stringMatching(/signature is not valid/)),
    );

    const dropped = copy();
    dropped.path.splice(2, 1);
    expect(E.isLeft(checkProof(dropped, keys.publicPem))).toBe(true);
  });

  it("the CLI proves a reservation and check-proof accepts it (exit 0) and rejects a forgery (exit 1)", async () => {
    const url = await clone();
    await writeFile(join(tmp, "cp2.json"), JSON.stringify(tipCheckpoint));
    await writeFile(join(tmp, "pub2.pem"), keys.publicPem);
    const proofFile = join(tmp, "proof.json");
    const p = await cli(
      [
        "audit",
        "prove",
        "--reservation",
        bundle.reservationId,
        "--checkpoint",
        join(tmp, "cp2.json"),
        "--out",
        proofFile,
      ],
      url,
    );
    expect(p.code).toBe(0);
    const ok = await cli(["audit", "check-proof", proofFile, "--pubkey", join(tmp, "pub2.pem")], url);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("VALID");
    const forged = JSON.parse(await readFile(proofFile, "utf8")) as {
      path: Array<{ data: Record<string, unknown> }>;
    };
    forged.path[0]!.data.userId = "mallory";
    await writeFile(proofFile, canonicalJson(forged));
    const bad = await cli(["audit", "check-proof", proofFile, "--pubkey", join(tmp, "pub2.pem")], url);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("REJECTED");
  });
});
