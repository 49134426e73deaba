import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { isTreeHead, toHex } from "../../../event-schemas/index.ts";
import { type Checkpoint, parseCheckpoint } from "../../audit/checkpoint.ts";
import {
  CannotRun,
  describeStoreError,
  EXIT_CLEAN,
  EXIT_VIOLATION,
  exitTwoOnUsageError,
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

export const registerAuditTree = (audit: Command): void => {
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
                `wrote ${opts.out}: ${proof.proof.length} hashes (check offline with --proof ${opts.out})`,
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
};
