import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldEvents, initialState } from "../../domain/sku/index.ts";
import {
  type Checkpoint,
  decodeEvent,
  type EventEnvelope,
  generateKeyPair,
  MerkleTree,
  type Sha256Hex,
  signCheckpoint,
  type TreeHead,
  toHex,
} from "../../event-schemas/index.ts";
import { checkRefusal } from "./check-refusal.ts";
import { verifyCheckpoint } from "./checkpoint-verify.ts";
import { consistencyProofOf, judgeConsistency } from "./consistency.ts";
import { buildProof, checkProof } from "./proof.ts";
import { buildProofV2, checkProofV2, type ProofBundleV2 } from "./proof-v2.ts";
import { cli, OFFLINE, openStore, testDatabases } from "./testing/databases.ts";
import { runSale } from "./testing/sale.ts";
import { Tamper } from "./testing/tamper.ts";

/**
 * The transparency log against real PostgreSQL after a real sale (decided by the command handler's own
 * decideChunk): signed tree heads, consistency between heads, holdfast-proof/2 bundles and their
 * offline check, check-refusal, and what each catches. The CLI is run for what an auditor types (exit
 * codes, offline use); the many tamper cases call the same functions in-process, because each CLI start
 * costs seconds on a shared machine.
 */
const STREAM = "sku-tee";
const dbs = testDatabases("hf_tree");
let events: EventEnvelope[] = [];
let dir: string;
let keys: { privatePem: string; publicPem: string };
let other: { privatePem: string; publicPem: string };
let oldHead: TreeHead;
let newHead: TreeHead;

const path = (name: string) => join(dir, name);
const readJson = async <A>(file: string) => JSON.parse(await readFile(file, "utf8")) as A;
const placements = () => events.filter((e) => e.type === "ReservationPlaced");
const idOf = (e: EventEnvelope) => e.data.reservationId as string;

/** A head over the first `size` of `envs`, signed in-process (what `audit checkpoint` signs). */
const headOf = (envs: ReadonlyArray<EventEnvelope>, size: number, privatePem = keys.privatePem): TreeHead => {
  const tree = MerkleTree.fromEventHashes(envs.slice(0, size).map((e) => e.hash));
  const last = envs[size - 1]!;
  const h = signCheckpoint(
    {
      streamId: STREAM,
      revision: last.revision,
      hash: last.hash as Sha256Hex,
      size,
      root: toHex(tree.root()) as Sha256Hex,
      signedAt: "2026-11-21T13:00:00.000Z" as Checkpoint["signedAt"],
    },
    privatePem,
  );
  if (E.isLeft(h)) throw new Error(h.left.message);
  return h.right;
};

const proveInProcess = async (url: string, head: TreeHead, reservationId: string): Promise<ProofBundleV2> => {
  const store = await openStore(url);
  try {
    const b = await buildProofV2(store, head, reservationId);
    if (E.isLeft(b)) throw new Error(JSON.stringify(b.left));
    return b.right;
  } finally {
    await store.close();
  }
};

beforeAll(async () => {
  await dbs.create();
  const store = await openStore(dbs.baseUrl);
  await runSale(store, { seed: 11, shoppers: 150, stock: 100, chunks: 48 });
  await store.close();
  const t = await Tamper.connect(dbs.baseUrl, STREAM);
  events = await t.envelopes();
  await t.close();
  dir = await mkdtemp(join(tmpdir(), "hf-tree-"));
  keys = generateKeyPair();
  other = generateKeyPair();
  await writeFile(path("op.key"), keys.privatePem);
  await writeFile(path("op.pub"), keys.publicPem);
  oldHead = headOf(events, Math.floor(events.length / 2));
  newHead = headOf(events, events.length);
  await writeFile(path("old.json"), JSON.stringify(oldHead));
});

afterAll(async () => {
  await dbs.dropAll();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("signed tree heads and consistency", () => {
  it("`audit checkpoint` signs the RFC 9162 root over the events' hashes; `consistency` proves it extends an older head, from the log and offline", async () => {
    const signed = await cli(
      ["audit", "checkpoint", "--sku", "tee", "--key", path("op.key"), "--out", path("new.json")],
      dbs.baseUrl,
    );
    expect(signed.code, signed.stderr).toBe(0);
    const head = await readJson<TreeHead>(path("new.json"));
    const last = events[events.length - 1]!;
    expect(head).toMatchObject({
      streamId: STREAM,
      size: events.length,
      revision: last.revision,
      hash: last.hash,
      root: newHead.root,
    });
    const live = await cli(
      [
        "audit",
        "consistency",
        path("old.json"),
        path("new.json"),
        "--pubkey",
        path("op.pub"),
        "--out",
        path("c.json"),
      ],
      dbs.baseUrl,
    );
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toContain("EXTENDS");
    const offline = await cli(
      [
        "audit",
        "consistency",
        path("old.json"),
        path("new.json"),
        "--pubkey",
        path("op.pub"),
        "--proof",
        path("c.json"),
      ],
      OFFLINE,
    );
    expect(offline.code, offline.stderr).toBe(0);
    // Backwards it does not extend (exit 1); a missing file cannot run (exit 2).
    const back = await cli(
      ["audit", "consistency", path("new.json"), path("old.json"), "--pubkey", path("op.pub")],
      OFFLINE,
    );
    expect(back.code).toBe(1);
    const missing = await cli(
      ["audit", "consistency", path("nope.json"), path("new.json"), "--pubkey", path("op.pub")],
      OFFLINE,
    );
    expect(missing.code).toBe(2);
  });

  it("verify --checkpoint checks the tree and hands out the consistency proof to the stream now", async () => {
    const store = await openStore(dbs.baseUrl);
    const r = await verifyCheckpoint(store, oldHead);
    await store.close();
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    expect(r.right.ok).toBe(true);
    expect(r.right.consistency).toMatchObject({ size1: oldHead.size, size2: events.length });
    expect(judgeConsistency(oldHead, newHead, r.right.consistency, keys.publicPem)).toEqual(
      E.right({ _tag: "Extends", streamId: STREAM, size1: oldHead.size, size2: newHead.size }),
    );
  });

  it("catches a rewritten history: an event changed, the chain recomputed, a new head signed over it", async () => {
    const url = await dbs.clone();
    const victim = placements()[3]!;
    const t = await Tamper.connect(url, STREAM);
    await t.rewriteAndReseal(victim.revision, (e) => ({
      ...e,
      data: { ...e.data, userId: "shopper-forged" },
    }));
    const rewritten = await t.envelopes();
    await t.close();
    // The chain verifies again, so the operator can sign a head over the rewritten log…
    await writeFile(path("forged.json"), JSON.stringify(headOf(rewritten, rewritten.length)));
    // …but no consistency proof from that log leads back to the old head (CLI, from the log: exit 1),
    const fromLog = await cli(
      ["audit", "consistency", path("old.json"), path("forged.json"), "--pubkey", path("op.pub")],
      url,
    );
    expect(fromLog.code, fromLog.stderr).toBe(1);
    expect(fromLog.stdout).toContain("DOES NOT EXTEND");
    // the genuine proof does not lead to the forged head's root,
    const forged = headOf(rewritten, rewritten.length);
    const genuine = consistencyProofOf(
      STREAM,
      MerkleTree.fromEventHashes(events.map((e) => e.hash)),
      oldHead.size,
    );
    expect(judgeConsistency(oldHead, forged, genuine, keys.publicPem)).toMatchObject(
      E.right({ _tag: "DoesNotExtend" }),
    );
    // and the old head no longer verifies against the rewritten log.
    const store = await openStore(url);
    const v = await verifyCheckpoint(store, oldHead);
    await store.close();
    if (E.isLeft(v)) throw new Error(JSON.stringify(v.left));
    expect(v.right.violations.map((x) => x.rule)).toEqual(["checkpoint/diverged"]);
  });

  it("refuses a head re-signed with another key", () => {
    const resigned = headOf(events, events.length, other.privatePem);
    const proof = consistencyProofOf(
      STREAM,
      MerkleTree.fromEventHashes(events.map((e) => e.hash)),
      oldHead.size,
    );
    const r = judgeConsistency(oldHead, resigned, proof, keys.publicPem);
    expect(r).toMatchObject(E.right({ _tag: "DoesNotExtend" }));
  });
});

describe("holdfast-proof/2 bundles", () => {
  it("`audit prove` bundles a reservation's events with inclusion proofs; `check-proof` verifies it offline", async () => {
    const id = idOf(placements()[0]!);
    const made = await cli(
      ["audit", "prove", "--reservation", id, "--checkpoint", path("old.json"), "--out", path("first.json")],
      dbs.baseUrl,
    );
    expect(made.code, made.stderr + made.stdout).toBe(0);
    const r = await cli(["audit", "check-proof", path("first.json"), "--pubkey", path("op.pub")], OFFLINE);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`VALID: reservation ${id}`);
    const bundle = await readJson<ProofBundleV2>(path("first.json"));
    expect(bundle.format).toBe("holdfast-proof/2");
    const mine = events.filter((e) => idOf(e) === id && e.revision <= oldHead.revision);
    for (const e of mine) expect(r.stdout).toContain(`r${e.revision}  `);
    // A changed byte makes the CLI say REJECTED and exit 1.
    const held = (bundle.events[0] as { data: { quantity: number } }).data.quantity;
    const text = await readFile(path("first.json"), "utf8");
    await writeFile(path("first-bad.json"), text.replace(`"quantity":${held},`, `"quantity":${held + 1},`));
    const bad = await cli(
      ["audit", "check-proof", path("first-bad.json"), "--pubkey", path("op.pub")],
      OFFLINE,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("REJECTED");
  });

  it("the first, a middle and the last reservation each verify, with every one of their events", async () => {
    const ps = placements();
    for (const placed of [ps[0]!, ps[Math.floor(ps.length / 2)]!, ps[ps.length - 1]!]) {
      const bundle = await proveInProcess(dbs.baseUrl, newHead, idOf(placed));
      const r = checkProofV2(JSON.parse(JSON.stringify(bundle)), keys.publicPem);
      if (E.isLeft(r)) throw new Error(r.left);
      expect(r.right.events.map((e) => e.revision)).toEqual(
        events.filter((e) => idOf(e) === idOf(placed)).map((e) => e.revision),
      );
    }
  });

  it("rejects one changed byte anywhere that matters, a wrong leaf index, a head re-signed with another key", async () => {
    const bundle = await proveInProcess(dbs.baseUrl, newHead, idOf(placements()[5]!));
    const text = JSON.stringify(bundle);
    const rejected = (body: string, pem = keys.publicPem) => {
      const r = checkProofV2(JSON.parse(body), pem);
      expect(E.isLeft(r), body.slice(0, 80)).toBe(true);
      return E.isLeft(r) ? r.left : "";
    };
    expect(E.isRight(checkProofV2(JSON.parse(text), keys.publicPem))).toBe(true);
    const held = (bundle.events[0] as { data: { quantity: number } }).data.quantity;
    expect(rejected(text.replace(`"quantity":${held},`, `"quantity":${held + 1},`))).toMatch(/changed/);
    const n = bundle.nodes;
    rejected(text.replace(n, (n[0] === "A" ? "B" : "A") + n.slice(1)));
    const root = bundle.head.root!;
    rejected(text.replace(root, (root[0] === "0" ? "1" : "0") + root.slice(1)));
    const p0 = bundle.proofs[0]!;
    const wrongIndex = {
      ...bundle,
      proofs: [{ ...p0, leafIndex: p0.leafIndex + 1 }, ...bundle.proofs.slice(1)],
    };
    expect(rejected(JSON.stringify(wrongIndex))).toMatch(/leaf/);
    const resigned = signCheckpoint(bundle.head, other.privatePem);
    if (E.isLeft(resigned)) throw new Error(resigned.left.message);
    expect(rejected(JSON.stringify({ ...bundle, head: resigned.right }))).toMatch(/signature/);
    // Every single bit of every proof node matters.
    const raw = Buffer.from(bundle.nodes, "base64");
    for (let i = 0; i < raw.length; i += 7) {
      const c = Buffer.from(raw);
      c[i]! ^= 1 << (i % 8);
      rejected(JSON.stringify({ ...bundle, nodes: c.toString("base64") }));
    }
  });

  it("still checks an old holdfast-proof/1 bundle", async () => {
    const last = events[events.length - 1]!;
    const v1 = signCheckpoint(
      {
        streamId: STREAM,
        revision: last.revision,
        hash: last.hash as Sha256Hex,
        signedAt: "2026-11-21T13:00:00.000Z",
      } as Omit<Checkpoint, "signature">,
      keys.privatePem,
    );
    if (E.isLeft(v1)) throw new Error(v1.left.message);
    const store = await openStore(dbs.baseUrl);
    const b = await buildProof(store, v1.right, idOf(placements()[7]!));
    await store.close();
    if (E.isLeft(b)) throw new Error(JSON.stringify(b.left));
    expect(E.isRight(checkProof(JSON.parse(JSON.stringify(b.right)), keys.publicPem))).toBe(true);
  });
});

describe("audit check-refusal", () => {
  it("agrees with the decider's own fold: justified exactly where nothing was available", async () => {
    let state = initialState;
    const available: number[] = [];
    for (const e of events) {
      const d = decodeEvent(e);
      if (E.isLeft(d)) throw new Error(d.left._tag);
      state = foldEvents([d.right], state);
      available.push(state._tag === "Listed" ? state.stock - state.held - state.sold : -1);
    }
    const soldOut = available.findIndex((a, r) => a === 0 && r > 0);
    const open = available.findIndex((a, r) => a > 0 && r > 0);
    expect(soldOut).toBeGreaterThan(0);
    const yes = await cli(
      ["audit", "check-refusal", "--sku", "tee", "--revision", String(soldOut)],
      dbs.baseUrl,
    );
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain("JUSTIFIED");
    const store = await openStore(dbs.baseUrl);
    try {
      for (const r of [open, soldOut, soldOut + 1, Math.floor(events.length / 3), events.length - 1]) {
        const v = await checkRefusal(store, "tee", r);
        if (E.isLeft(v)) throw new Error(JSON.stringify(v.left));
        expect(v.right.justified, `r${r}`).toBe(available[r] === 0);
        expect(v.right.available).toBe(available[r]);
      }
      const beyond = await checkRefusal(store, "tee", events.length + 5);
      expect(beyond).toMatchObject(E.right({ justified: false }));
      expect(await checkRefusal(store, "nope", 1)).toMatchObject(E.left({ _tag: "NoSuchStream" }));
    } finally {
      await store.close();
    }
  });
});
