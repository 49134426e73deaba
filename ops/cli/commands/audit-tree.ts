import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import {
  type Cosignature,
  decodeCheckpoint,
  decodeCosignature,
  isTreeHead,
  toHex,
} from "../../../event-schemas/index.ts";
import type { EventStore } from "../../../infra/event-store/port.ts";
import { type Checkpoint, parseCheckpoint } from "../../audit/checkpoint.ts";
import { checkRefusal } from "../../audit/check-refusal.ts";
import { describeEvent } from "../../audit/describe-event.ts";
import { formatViolation } from "../../audit/format.ts";
import { buildProof, checkProof, PROOF_FORMAT } from "../../audit/proof.ts";
import { buildProofV2, checkProofV2, type WitnessRequirement } from "../../audit/proof-v2.ts";
import {
  CannotRun,
  describeStoreError,
  EXIT_CLEAN,
  EXIT_VIOLATION,
  exitTwoOnUsageError,
  parseCount,
  readText,
  runAction,
  withStore,
} from "../../audit/cli-support.ts";
import {
  type ConsistencyProof,
  consistencyProofOf,
  decodeConsistencyProof,
  judgeConsistency,
} from "../../audit/consistency.ts";
import { streamTree } from "../../audit/stream-tree.ts";
import { registerAuditWitness } from "./audit-witness.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`${text}\n`);

export const loadJson = async (file: string, what: string): Promise<unknown> => {
  const text = await readText(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CannotRun(`${file}: not JSON: ${(e as Error).message}`);
  }
};

export const loadHead = async (file: string): Promise<Checkpoint> => {
  const cp = parseCheckpoint(await readText(file, "checkpoint"));
  if (E.isLeft(cp)) throw new CannotRun(`${file}: ${cp.left}`);
  return cp.right;
};

/**
 * The consistency proof between two heads, computed from the log: only when the log still has NEW's
 * tree (otherwise the log changed after NEW was signed, and no proof about the heads can come from it).
 */
const proofFromLog = (prev: Checkpoint, next: Checkpoint): Promise<ConsistencyProof> =>
  withStore(async (store) => {
    if (!isTreeHead(prev) || !isTreeHead(next)) throw new CannotRun("both checkpoints must be tree heads");
    const r = await streamTree(store, next.streamId, { to: next.revision });
    if (E.isLeft(r)) throw new CannotRun(describeStoreError(r.left));
    const { tree } = r.right;
    if (tree.size < next.size)
      throw new CannotRun(
        `the log has ${tree.size} readable, in-order events of ${next.streamId}, NEW signed ${next.size}: it no longer reaches NEW (see \`audit verify --checkpoint NEW\`)`,
      );
    if (toHex(tree.root(next.size)) !== next.root)
      throw new CannotRun(
        `the log's tree over ${next.size} events no longer has NEW's root: the log changed after NEW was signed, so it cannot prove anything about NEW (see \`audit verify --checkpoint NEW\`)`,
      );
    return consistencyProofOf(next.streamId, tree, Math.min(prev.size, next.size), next.size);
  });

/** A head file: a signed tree head, or a witness's co-signature of one (whose head is then used). */
const loadHeadOrCosigned = async (
  file: string,
): Promise<{ head: Checkpoint; cosignatures: Cosignature[] }> => {
  const raw = await loadJson(file, "checkpoint");
  if (typeof raw === "object" && raw !== null && "head" in raw && "witness" in raw) {
    const c = decodeCosignature(raw);
    if (E.isLeft(c)) throw new CannotRun(`${file}: ${c.left}`);
    return { head: c.right.head, cosignatures: [c.right] };
  }
  const cp = decodeCheckpoint(raw);
  if (E.isLeft(cp)) throw new CannotRun(`${file}: ${cp.left}`);
  return { head: cp.right, cosignatures: [] };
};

/** Every `*.pub` file of a directory, as PEM text. */
export const readPublicKeys = async (dir: string): Promise<string[]> => {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new CannotRun(
      `cannot read the witness keys in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const pems: string[] = [];
  for (const n of names.filter((x) => x.endsWith(".pub")).sort())
    pems.push(await readText(join(dir, n), "public key"));
  if (pems.length === 0) throw new CannotRun(`no *.pub witness keys in ${dir}`);
  return pems;
};

/** The old bundle, for a checkpoint signed before tree heads. */
const proveV1 = async (store: EventStore, cp: Checkpoint, opts: { reservation: string; out?: string }) => {
  const r = await buildProof(store, cp, opts.reservation);
  if (E.isLeft(r)) {
    switch (r.left._tag) {
      case "ChainBroken":
      case "CheckpointDiverged":
        out(`cannot prove against this checkpoint: ${r.left.message}`);
        return EXIT_VIOLATION;
      case "ReservationNotFound":
        throw new CannotRun(r.left.message);
      default:
        throw new CannotRun(describeStoreError(r.left));
    }
  }
  const text = JSON.stringify(r.right, null, 2);
  if (opts.out === undefined) out(text);
  else await writeFile(opts.out, `${text}\n`);
  return EXIT_CLEAN;
};

export const registerAuditTree = (audit: Command): void => {
  registerAuditWitness(audit);
  exitTwoOnUsageError(
    audit
      .command("consistency")
      .description(
        "prove with an RFC 9162 consistency proof that tree head NEW extends tree head OLD (exit 0 extends, 1 does not, 2 could not run)",
      )
      .argument("<old>", "the earlier signed tree head (JSON)")
      .argument("<new>", "the later signed tree head (JSON)")
      .requiredOption("--pubkey <file>", "the public key (PEM) both heads are signed with")
      .option("--proof <file>", "check this saved proof offline instead of computing one from the log")
      .option("--out <file>", "save the proof (computed from the log) for offline checking")
      .option("--json", "machine-readable verdict"),
  ).action(
    (
      oldFile: string,
      newFile: string,
      opts: { pubkey: string; proof?: string; out?: string; json?: boolean },
    ) =>
      runAction(async () => {
        const [prev, next] = [await loadHead(oldFile), await loadHead(newFile)];
        const pem = await readText(opts.pubkey, "public key");
        // Ask the signatures and the sizes first: they need no proof and no database.
        const precheck = judgeConsistency(prev, next, null, pem);
        let proof: ConsistencyProof | null = null;
        const needsProof = E.isLeft(precheck) && precheck.left.reason === "no consistency proof";
        if (needsProof) {
          if (opts.proof !== undefined) {
            const p = decodeConsistencyProof(await loadJson(opts.proof, "consistency proof"));
            if (E.isLeft(p)) throw new CannotRun(`${opts.proof}: ${p.left}`);
            proof = p.right;
          } else {
            proof = await proofFromLog(prev, next);
            if (opts.out !== undefined) {
              await writeFile(opts.out, `${JSON.stringify(proof, null, 2)}\n`);
              note(
                `wrote ${opts.out}: ${proof.proof.length} hash(es) (check offline with --proof ${opts.out})`,
              );
            }
          }
        }
        const verdict = needsProof ? judgeConsistency(prev, next, proof, pem) : precheck;
        if (E.isLeft(verdict)) throw new CannotRun(verdict.left.reason);
        const v = verdict.right;
        if (opts.json) out(JSON.stringify({ extends: v._tag === "Extends", ...v, proof }, null, 2));
        else if (v._tag === "Extends")
          out(
            `EXTENDS: ${v.streamId} at ${v.size2} events keeps the ${v.size1} events of OLD unchanged (RFC 9162 consistency proof of ${proof?.proof.length ?? 0} hashes verified${opts.proof === undefined ? "" : " offline"}; both signatures valid)`,
          );
        else out(`DOES NOT EXTEND: ${v.reason}`);
        return v._tag === "Extends" ? EXIT_CLEAN : EXIT_VIOLATION;
      }),
  );

  exitTwoOnUsageError(
    audit
      .command("prove")
      .description(
        "print a holdfast-proof/2 bundle: a reservation's events, an RFC 9162 inclusion proof for each, the signed tree head",
      )
      .requiredOption("--reservation <id>", "the reservation id")
      .requiredOption(
        "--checkpoint <file>",
        "a signed tree head of the reservation's SKU stream (or a witness's co-signature {head, witness, signature})",
      )
      .option("--cosignature <file...>", "witnesses' co-signatures of the same head to include")
      .option("--out <file>", "write the bundle to this file instead of stdout"),
  ).action((opts: { reservation: string; checkpoint: string; cosignature?: string[]; out?: string }) =>
    runAction(() =>
      withStore(async (store) => {
        const { head, cosignatures } = await loadHeadOrCosigned(opts.checkpoint);
        for (const f of opts.cosignature ?? []) {
          const c = decodeCosignature(await loadJson(f, "co-signature"));
          if (E.isLeft(c)) throw new CannotRun(`${f}: ${c.left}`);
          cosignatures.push(c.right);
        }
        if (!isTreeHead(head)) {
          note(
            "note: the checkpoint has no tree (signed before tree heads): writing a holdfast-proof/1 bundle",
          );
          return proveV1(store, head, opts);
        }
        const r = await buildProofV2(store, head, opts.reservation, cosignatures);
        if (E.isLeft(r)) {
          switch (r.left._tag) {
            case "ChainBroken":
            case "CheckpointDiverged":
              out(`cannot prove against this head: ${r.left.message}`);
              return EXIT_VIOLATION;
            case "ReservationNotFound":
            case "NotATreeHead":
              throw new CannotRun(r.left.message);
            default:
              throw new CannotRun(describeStoreError(r.left));
          }
        }
        const text = JSON.stringify(r.right);
        if (opts.out === undefined) out(text);
        else {
          await writeFile(opts.out, `${text}\n`);
          note(
            `wrote ${opts.out}: ${r.right.events.length} event(s), ${Buffer.byteLength(r.right.nodes, "base64") / 32} proof hashes, ${Buffer.byteLength(text)} bytes (${Buffer.byteLength(text) - JSON.stringify(r.right.events).length} without the events), against ${head.size} events`,
          );
        }
        return EXIT_CLEAN;
      }),
    ),
  );

  exitTwoOnUsageError(
    audit
      .command("check-proof")
      .description(
        "verify a proof bundle offline (no server): holdfast-proof/2 (inclusion proofs, the head's signature, optionally K witnesses) or holdfast-proof/1",
      )
      .argument("<file>", "the proof bundle (JSON)")
      .requiredOption("--pubkey <file>", "the operator's or auditor's public key (PEM) that signed the head")
      .option("--witnesses <n>", "require co-signatures of the head by at least N distinct witnesses")
      .option("--witness-keys <dir>", "directory of the witnesses' public keys (*.pub, PEM)")
      .option("--json", "machine-readable result"),
  ).action(
    (file: string, opts: { pubkey: string; witnesses?: string; witnessKeys?: string; json?: boolean }) =>
      runAction(async () => {
        const text = await readText(file, "proof bundle");
        const pem = await readText(opts.pubkey, "public key");
        let requirement: WitnessRequirement | null = null;
        if (opts.witnesses !== undefined) {
          if (opts.witnessKeys === undefined) throw new CannotRun("--witnesses needs --witness-keys DIR");
          requirement = {
            count: parseCount(opts.witnesses, "--witnesses"),
            keys: await readPublicKeys(opts.witnessKeys),
          };
        }
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch (e) {
          raw = { unparsable: (e as Error).message };
        }
        const format = (raw as { format?: unknown } | null)?.format;
        const r =
          format === PROOF_FORMAT
            ? requirement === null
              ? checkProof(raw, pem)
              : E.left("a holdfast-proof/1 bundle carries no co-signatures, so it cannot meet --witnesses")
            : checkProofV2(raw, pem, requirement);
        if (opts.json)
          out(
            JSON.stringify(E.isRight(r) ? { ok: true, ...r.right } : { ok: false, reason: r.left }, null, 2),
          );
        else if (E.isLeft(r)) out(`REJECTED: ${r.left}`);
        else {
          const v2 =
            "treeSize" in r.right ? (r.right as unknown as { treeSize: number; witnesses: string[] }) : null;
          out(
            v2 === null
              ? `VALID: reservation ${r.right.reservationId} in ${r.right.streamId}, covered by the checkpoint signed at r${r.right.checkpointRevision}:`
              : `VALID: reservation ${r.right.reservationId} in ${r.right.streamId}, included in the signed tree head of ${v2.treeSize} events (r${r.right.checkpointRevision})${v2.witnesses.length === 0 ? "" : `, co-signed by ${v2.witnesses.length} witness(es)`}:`,
          );
          for (const e of r.right.events)
            out(`  r${e.revision}  ${e.occurredAt}  ${e.event.type}  ${describeEvent(e.event)}`);
        }
        return E.isRight(r) ? EXIT_CLEAN : EXIT_VIOLATION;
      }),
  );

  exitTwoOnUsageError(
    audit
      .command("check-refusal")
      .description(
        "prove from the log that after revision N the SKU had nothing available, i.e. an edge sold-out refusal naming view revision N was justified (exit 0 justified, 1 not, 2 could not run)",
      )
      .requiredOption("--sku <id>", "the SKU")
      .requiredOption("--revision <n>", "the view revision the refusal named")
      .option("--json", "machine-readable verdict"),
  ).action((opts: { sku: string; revision: string; json?: boolean }) =>
    runAction(() =>
      withStore(async (store) => {
        const revision = parseCount(opts.revision, "--revision");
        const r = await checkRefusal(store, opts.sku, revision);
        if (E.isLeft(r))
          throw new CannotRun(
            r.left._tag === "NoSuchStream"
              ? `no events in stream ${r.left.streamId}`
              : describeStoreError(r.left),
          );
        const v = r.right;
        if (opts.json) out(JSON.stringify(v, null, 2));
        else {
          for (const x of v.violations.slice(0, 20)) out(formatViolation(x));
          out(
            `${v.justified ? "JUSTIFIED" : "NOT JUSTIFIED"}: ${v.streamId} at r${v.revision}: stock ${v.stock}, held ${v.held}, sold ${v.sold}, available ${v.available}${v.closed ? ", closed" : ""}. ${v.reason}`,
          );
        }
        return v.justified ? EXIT_CLEAN : EXIT_VIOLATION;
      }),
    ),
  );
};
