import { type ChainTip, type EventEnvelope, GENESIS_HASH } from "../../event-schemas/index.ts";
import { hashMatches, recomputedHash } from "./fast-hash.ts";
import type { Issue } from "./violation.ts";

/**
 * The hash chain of one stream, checked event by event in constant memory. Same rules as
 * `chainVerifier` (event-schemas), but it keeps going after a break so one report names every place
 * the chain fails, and it hashes on the fast path of `fast-hash.ts`.
 *
 * After a break it re-anchors on what is stored (the next event is checked against the stored hash of
 * the one before it), so one altered event is reported once, not at every later revision.
 * `lostAt` names the first event missing, moved or unreadable: the state after it is unknown, so the semantic checks
 * (invariants, decision replay, fairness) stop there.
 */
export const chainWalker = (
  streamId: string,
  from: ChainTip | null = null,
  opts: { readonly storeVerifiedHashes?: boolean } = {},
) => {
  // The event store port hands out only events whose stored bytes hash to their `hash` (anything else
  // is a CorruptEvent, reported as chain/corrupt-event): reading through it, that hash over the stored
  // bytes IS the hash check, and re-serialising the parsed envelope to hash it again only costs time.
  const hashOk = opts.storeVerifiedHashes === true ? () => true : hashMatches;
  let expected = from === null ? 0 : from.revision + 1;
  let prevHash: string = from === null ? GENESIS_HASH : from.hash;
  /** The next link cannot be checked (the event before it is missing or unreadable). */
  let linkUnknown = false;
  /** The first revision missing, moved or unreadable (null while none). */
  let lostAt: number | null = null;
  const lose = (revision: number) => {
    lostAt ??= revision;
  };
  // The tip as two values rather than an object per event (read by `tip`).
  let lastRevision = from === null ? -1 : from.revision;
  let lastHash = from === null ? "" : from.hash;
  /** The next event is checked against `e` (it was in order). */
  const anchor = (e: EventEnvelope): void => {
    linkUnknown = false;
    prevHash = e.hash;
    expected = e.revision + 1;
    lastRevision = e.revision;
    lastHash = e.hash;
  };

  return {
    push(e: EventEnvelope): ReadonlyArray<Issue> {
      // Every path below asks whether the event hashes right: hash it once.
      const hashed = hashOk(e);
      // The common case, an event in order that links and hashes: the same checks as below, and nothing
      // to report (no array to make).
      if (
        hashed &&
        e.streamId === streamId &&
        e.revision === expected &&
        (linkUnknown || e.prevHash === prevHash)
      ) {
        anchor(e);
        return NO_ISSUES;
      }
      const issues: Issue[] = [];
      if (e.streamId !== streamId)
        issues.push({
          revision: e.revision,
          rule: "chain/foreign-stream",
          message: `event ${e.eventId} names stream ${e.streamId}, not ${streamId}`,
        });
      if (e.revision < expected) {
        issues.push({
          revision: e.revision,
          rule: "chain/revision-order",
          message: `revision ${e.revision} appears after revision ${expected - 1} (moved or duplicated)`,
        });
        lose(e.revision);
        if (!hashed)
          issues.push({ revision: e.revision, rule: "chain/hash-mismatch", message: hashMessage(e) });
        return issues; // keep the anchor on the highest revision seen
      }
      if (e.revision > expected) {
        issues.push({
          revision: expected,
          rule: "chain/revision-gap",
          message:
            e.revision === expected + 1
              ? `revision ${expected} is missing (found ${e.revision} after ${expected - 1})`
              : `revisions ${expected}…${e.revision - 1} are missing`,
        });
        lose(expected);
        linkUnknown = true;
      }
      if (!linkUnknown && e.prevHash !== prevHash) {
        // The event itself still hashes right (checked below), so it was sealed after a predecessor whose
        // hash was e.prevHash: the predecessor is what changed (or this event's link was rewritten).
        const before = e.revision - 1;
        issues.push({
          revision: before < 0 ? e.revision : before,
          rule: "chain/broken-link",
          message:
            before < 0
              ? `the first event's prevHash is ${e.prevHash}, not the genesis hash`
              : `revision ${before} hashes to ${prevHash}, but revision ${e.revision} was sealed after ${e.prevHash}: revision ${before} was rewritten after revision ${e.revision} was sealed`,
        });
      }
      if (!hashed)
        issues.push({ revision: e.revision, rule: "chain/hash-mismatch", message: hashMessage(e) });
      anchor(e);
      return issues;
    },

    /** The store could not give back the event at `revision` (its bytes no longer verify, or it does not decode). */
    unreadable(revision: number, why: string): Issue[] {
      const issues: Issue[] = [];
      if (revision > expected)
        issues.push({
          revision: expected,
          rule: "chain/revision-gap",
          message: `revisions ${expected}…${revision - 1} are missing`,
        });
      issues.push({ revision, rule: "chain/corrupt-event", message: `the store refuses the event: ${why}` });
      lose(Math.min(expected, revision));
      linkUnknown = true;
      expected = Math.max(expected, revision + 1);
      return issues;
    },

    /** The last event pushed that was in order (null before any). */
    tip: (): ChainTip | null => (lastRevision < 0 ? null : { revision: lastRevision, hash: lastHash }),
    /** The next revision expected. */
    expected: () => expected,
    lostAt: () => lostAt,
  };
};

const NO_ISSUES: ReadonlyArray<Issue> = Object.freeze([]);

const hashMessage = (e: EventEnvelope) => `stored hash ${e.hash}, recomputed ${recomputedHash(e)}`;
