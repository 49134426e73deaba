import * as E from "fp-ts/lib/Either.js";
import { canonicalJson } from "./canonical-json.ts";
import { chainHash } from "./chain-hash.ts";
import { type EventDraft, type EventEnvelope, type UnsealedEnvelope, unsealed } from "./envelope.ts";
import { GENESIS_HASH, type Sha256Hex } from "./primitives.ts";
import { rememberSealedText, withHashMember } from "./sealed-text.ts";

/**
 * `SHA-256(prevHash ‖ canonical JSON of the envelope without "hash")`, over the UTF-8 bytes of the
 * 64-character hex `prevHash` followed by the RFC 8785 bytes. Any field of the envelope, `prevHash`
 * included, changes the hash.
 */
export const hashEvent = (prevHash: string, envelope: UnsealedEnvelope | EventEnvelope): Sha256Hex => {
  let unsealedPart: object = envelope;
  if (Object.hasOwn(envelope, "hash")) {
    const { hash: _ignored, ...rest } = envelope as EventEnvelope;
    unsealedPart = rest;
  }
  return chainHash(prevHash, canonicalJson(unsealedPart));
};

/** The tip of a stream's chain: the revision and hash of its last event (`null` for an empty stream). */
export interface ChainTip {
  readonly revision: number;
  readonly hash: string;
}

/**
 * Seal drafts onto a stream after `tip`: give each its revision, link and hash. Only the writer calls
 * this; what it returns is exactly what is stored.
 */
export const sealEvents = (
  streamId: string,
  tip: ChainTip | null,
  drafts: ReadonlyArray<EventDraft>,
): EventEnvelope[] => {
  let revision = tip === null ? 0 : tip.revision + 1;
  let prevHash = tip === null ? GENESIS_HASH : tip.hash;
  const out: EventEnvelope[] = [];
  for (const draft of drafts) {
    const env = unsealed(streamId, revision, prevHash, draft);
    // Canonicalised once: the same text is hashed here and (with its hash member) stored by the store.
    const text = canonicalJson(env);
    const hash = chainHash(prevHash, text);
    // `env` was just built here and is no one else's: add the hash in place instead of copying it.
    const sealedEnv = Object.assign(env, { hash });
    const stored = withHashMember(text, hash);
    if (stored !== null) rememberSealedText(sealedEnv, { text: stored, streamId, revision, prevHash, hash });
    out.push(sealedEnv);
    prevHash = hash;
    revision += 1;
  }
  return out;
};

export type ChainViolationKind = "hash-mismatch" | "broken-link" | "revision-gap" | "foreign-stream";

/** The first place a chain fails, and why. */
export interface ChainViolation {
  readonly _tag: "ChainViolation";
  readonly kind: ChainViolationKind;
  readonly streamId: string;
  readonly revision: number;
  readonly message: string;
}

/**
 * Incremental chain checking in constant memory, for streams of millions of events: feed envelopes in
 * stream order; the first violation is returned and sticks.
 *
 * @example
 *   const v = chainVerifier("sku-tee");
 *   for (const e of events) { const r = v.push(e); if (E.isLeft(r)) return r; }
 */
export const chainVerifier = (streamId: string, from: ChainTip | null = null) => {
  let expectedRevision = from === null ? 0 : from.revision + 1;
  let prevHash: string = from === null ? GENESIS_HASH : from.hash;
  let failed: ChainViolation | null = null;
  const fail = (kind: ChainViolationKind, revision: number, message: string) => {
    failed = { _tag: "ChainViolation", kind, streamId, revision, message };
    return E.left(failed);
  };
  return {
    push(e: EventEnvelope): E.Either<ChainViolation, ChainTip> {
      if (failed !== null) return E.left(failed);
      if (e.streamId !== streamId)
        return fail(
          "foreign-stream",
          e.revision,
          `event ${e.eventId} belongs to ${e.streamId}, not ${streamId}`,
        );
      if (e.revision !== expectedRevision)
        return fail(
          "revision-gap",
          expectedRevision,
          `expected revision ${expectedRevision}, found ${e.revision}`,
        );
      if (e.prevHash !== prevHash)
        return fail(
          "broken-link",
          e.revision,
          `prevHash ${e.prevHash} does not match the previous hash ${prevHash}`,
        );
      const recomputed = hashEvent(e.prevHash, e);
      if (recomputed !== e.hash)
        return fail("hash-mismatch", e.revision, `stored hash ${e.hash}, recomputed ${recomputed}`);
      prevHash = e.hash;
      expectedRevision += 1;
      return E.right({ revision: e.revision, hash: e.hash });
    },
    tip(): ChainTip | null {
      return expectedRevision === 0 ? null : { revision: expectedRevision - 1, hash: prevHash };
    },
  };
};

/**
 * Verify a whole stream: revisions contiguous from 0 (or from `from`), every link, every hash, one
 * stream. Returns the tip, or the first bad revision and why.
 */
export const verifyChain = (
  events: Iterable<EventEnvelope>,
  opts: { readonly streamId?: string; readonly from?: ChainTip | null } = {},
): E.Either<ChainViolation, ChainTip | null> => {
  let verifier: ReturnType<typeof chainVerifier> | null = null;
  for (const e of events) {
    verifier ??= chainVerifier(opts.streamId ?? e.streamId, opts.from ?? null);
    const r = verifier.push(e);
    if (E.isLeft(r)) return r;
  }
  return E.right(verifier === null ? (opts.from ?? null) : verifier.tip());
};
