import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { streamIdOf, toHex } from "../../../event-schemas/index.ts";
import { verifyCheckpoint } from "../../audit/checkpoint-verify.ts";
import { streamTree } from "../../audit/stream-tree.ts";
import {
  type Checkpoint,
  checkpointSignatureValid,
  generateKeyPair,
  parseCheckpoint,
  signCheckpoint,
} from "../../audit/checkpoint.ts";
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
import { formatAuditReport, formatViolation } from "../../audit/format.ts";
import { verifyStoreParallel } from "../../audit/verify-parallel.ts";
import { registerAuditTree } from "./audit-tree.ts";
import type { Violation } from "../../audit/violation.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`${text}\n`);

const loadCheckpoint = async (file: string): Promise<Checkpoint> => {
  const cp = parseCheckpoint(await readText(file, "checkpoint"));
  if (E.isLeft(cp)) throw new CannotRun(`${file}: ${cp.left}`);
  return cp.right;
};

/** `holdfast audit verify` (whole log or one SKU). */
const verifyAll = (opts: { sku?: string; json?: boolean; pageSize?: string; workers?: string }) =>
  withStore(async (store) => {
    const r = await verifyStoreParallel(store, {
      ...(opts.workers === undefined ? {} : { workers: parseCount(opts.workers, "--workers") }),
      ...(opts.sku === undefined ? {} : { skuId: opts.sku }),
      pageSize: opts.pageSize === undefined ? 1000 : parseCount(opts.pageSize, "--page-size"),
      onStream: (s) => {
        if (!opts.json) note(`checked ${s.streamId}: ${s.events} events`);
      },
    });
    if (E.isLeft(r))
      throw new CannotRun(
        r.left._tag === "NoSuchStream"
          ? `no events in stream ${r.left.streamId}`
          : describeStoreError(r.left),
      );
    out(opts.json ? JSON.stringify(r.right, null, 2) : formatAuditReport(r.right));
    return r.right.ok ? EXIT_CLEAN : EXIT_VIOLATION;
  });

/** `holdfast audit verify --checkpoint FILE [--pubkey FILE]`. */
const verifyAgainst = (opts: { checkpoint: string; pubkey?: string; json?: boolean; proofOut?: string }) =>
  withStore(async (store) => {
    const cp = await loadCheckpoint(opts.checkpoint);
    const signature: Violation[] = [];
    if (opts.pubkey === undefined)
      note("note: no --pubkey given, so the checkpoint's signature is NOT checked");
    else {
      const valid = checkpointSignatureValid(cp, await readText(opts.pubkey, "public key"));
      if (E.isLeft(valid)) throw new CannotRun(valid.left.message);
      if (!valid.right)
        signature.push({
          streamId: cp.streamId,
          revision: cp.revision,
          rule: "checkpoint/signature",
          message:
            "the checkpoint's signature does not verify under this public key (forged or altered checkpoint)",
        });
    }
    const r = await verifyCheckpoint(store, cp);
    if (E.isLeft(r)) throw new CannotRun(describeStoreError(r.left));
    const violations = [...signature, ...r.right.violations];
    const ok = violations.length === 0;
    if (opts.proofOut !== undefined && r.right.consistency !== null)
      await writeFile(opts.proofOut, `${JSON.stringify(r.right.consistency, null, 2)}\n`);
    if (opts.json)
      out(
        JSON.stringify({ ...r.right, ok, signatureChecked: opts.pubkey !== undefined, violations }, null, 2),
      );
    else {
      for (const v of violations) out(formatViolation(v));
      out(
        ok
          ? `CLEAN: ${cp.streamId} still extends the checkpoint at r${cp.revision} (${cp.hash.slice(0, 12)}…${cp.root === undefined ? "" : `, root ${cp.root.slice(0, 12)}…`}), now at r${r.right.tip?.revision}${opts.pubkey === undefined ? " (signature not checked)" : ", signature valid"}${r.right.consistency === null ? "" : `; RFC 9162 consistency proof ${r.right.consistency.size1} → ${r.right.consistency.size2} events: ${r.right.consistency.proof.length} hashes${opts.proofOut === undefined ? "" : ` (written to ${opts.proofOut})`}`}`
          : `VIOLATIONS: ${cp.streamId} no longer extends the checkpoint at r${cp.revision} unchanged (${violations.length} violation(s))`,
      );
    }
    return ok ? EXIT_CLEAN : EXIT_VIOLATION;
  });

export const registerAudit = (program: Command): void => {
  const audit = exitTwoOnUsageError(
    program
      .command("audit")
      .description(
        "verify the log, sign checkpoints, prove reservations (exit 0 clean, 1 violation, 2 could not run)",
      ),
  );

  exitTwoOnUsageError(
    audit
      .command("verify")
      .description(
        "check every sku- stream: chain, invariants, decision replay, fairness; or, with --checkpoint, that a stream still extends a signed checkpoint",
      )
      .option("--sku <id>", "only this SKU's stream")
      .option("--json", "machine-readable report on stdout")
      .option("--checkpoint <file>", "check the stream against this signed checkpoint instead")
      .option("--pubkey <file>", "public key (PEM) to check the checkpoint's signature with")
      .option("--page-size <n>", "events read per page (default 1000)")
      .option(
        "--workers <n>",
        "worker threads, one stream each at a time (default: the cores; 1 = no threads)",
      )
      .option(
        "--proof-out <file>",
        "with --checkpoint: save the consistency proof from the head to the stream now",
      ),
  ).action(
    (opts: {
      sku?: string;
      json?: boolean;
      checkpoint?: string;
      pubkey?: string;
      pageSize?: string;
      proofOut?: string;
      workers?: string;
    }) =>
      runAction(() =>
        opts.checkpoint === undefined
          ? verifyAll(opts)
          : verifyAgainst({ ...opts, checkpoint: opts.checkpoint }),
      ),
  );

  exitTwoOnUsageError(
    audit
      .command("keygen")
      .description(
        "make an Ed25519 key pair for signing checkpoints: DIR/audit-ed25519.key (private) and .pub",
      )
      .requiredOption("--out <dir>", "directory to write the PEM files to"),
  ).action((opts: { out: string }) =>
    runAction(async () => {
      const { privatePem, publicPem } = generateKeyPair();
      await mkdir(opts.out, { recursive: true });
      const priv = join(opts.out, "audit-ed25519.key");
      const pub = join(opts.out, "audit-ed25519.pub");
      try {
        await writeFile(priv, privatePem, { flag: "wx", mode: 0o600 });
        await writeFile(pub, publicPem, { flag: "wx" });
      } catch (e) {
        throw new CannotRun(`refusing to overwrite keys in ${opts.out}: ${(e as Error).message}`);
      }
      out(`private key: ${priv}\npublic key:  ${pub}`);
      return EXIT_CLEAN;
    }),
  );

  exitTwoOnUsageError(
    audit
      .command("checkpoint")
      .description(
        "print a signed tree head {streamId, size, root, revision, hash, signedAt, signature} of a SKU's stream (after checking its chain); root = RFC 9162 Merkle tree hash over the event hashes",
      )
      .requiredOption("--sku <id>", "the SKU")
      .requiredOption("--key <file>", "Ed25519 private key (PEM)")
      .option("--revision <n>", "checkpoint this revision instead of the tip")
      .option("--out <file>", "also write the checkpoint to this file"),
  ).action((opts: { sku: string; key: string; revision?: string; out?: string }) =>
    runAction(() =>
      withStore(async (store) => {
        const key = await readText(opts.key, "private key");
        const at = opts.revision === undefined ? undefined : parseCount(opts.revision, "--revision");
        const streamId = streamIdOf(opts.sku);
        const r = await streamTree(store, streamId, at === undefined ? {} : { to: at });
        if (E.isLeft(r)) throw new CannotRun(describeStoreError(r.left));
        if (r.right.violations.length > 0) {
          for (const v of r.right.violations) out(formatViolation(v));
          out(`refusing to sign: the chain of ${streamId} is broken`);
          return EXIT_VIOLATION;
        }
        const tip = r.right.tip;
        if (tip === null || (at !== undefined && tip.revision !== at))
          throw new CannotRun(`${streamId} has no revision ${at ?? 0}`);
        const signed = signCheckpoint(
          {
            streamId,
            size: r.right.tree.size,
            root: toHex(r.right.tree.root()) as Checkpoint["hash"],
            revision: tip.revision,
            hash: tip.hash as Checkpoint["hash"],
            signedAt: new Date().toISOString() as Checkpoint["signedAt"],
          },
          key,
        );
        if (E.isLeft(signed)) throw new CannotRun(signed.left.message);
        const text = JSON.stringify(signed.right, null, 2);
        if (opts.out !== undefined) await writeFile(opts.out, `${text}\n`);
        out(text);
        return EXIT_CLEAN;
      }),
    ),
  );

  registerAuditTree(audit);
};
