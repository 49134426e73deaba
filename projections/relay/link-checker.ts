import * as E from "fp-ts/lib/Either.js";
import { decodeEnvelope, type EventEnvelope, hashEvent } from "../../event-schemas/index.ts";
import { isEventEnvelope } from "../../event-schemas/envelope-check.ts";
import { scanEvent, scannedHashMatches } from "../../event-schemas/sku/scan-event.ts";
import { storedTextHashes } from "../../infra/event-store/stored-text.ts";
import { ceType } from "../../infra/kafka/integration-topic.ts";

/** What the subscriber concluded about one message of the integration topic. */
export type LinkVerdict =
  | { readonly _tag: "Linked"; readonly envelope: EventEnvelope; readonly firstSeen: boolean }
  /** Seen before (at-least-once delivery): same stream and revision with the same hash. */
  | { readonly _tag: "Duplicate"; readonly envelope: EventEnvelope }
  | {
      readonly _tag: "Broken";
      readonly streamId: string;
      readonly revision: number | null;
      readonly reason: string;
    };

/**
 * Checks the hash chain message by message, in constant memory per stream: the value must decode as an
 * envelope whose recomputed hash matches, whose headers agree with it, and whose `prevHash` is the hash
 * of the stream's previous revision. The first event seen of a stream (tailing from `latest`) can only
 * be checked for its own hash; from `earliest` it must be revision 0 on the genesis hash.
 */
export const linkChecker = (opts: { readonly fromEarliest: boolean }) => {
  const tips = new Map<string, { revision: number; hash: string }>();
  /**
   * The envelope a message carries once its hash checks, or why not. The relay sends the stored
   * canonical text, which the scanner reads and whose bytes are hashed as they are (no JSON.parse, no
   * re-canonicalisation); anything else (an equivalent but not canonical JSON, an older schema version)
   * is parsed, decoded and re-canonicalised, as before.
   */
  const verified = (
    value: string,
    headers: Readonly<Record<string, string>>,
  ): E.Either<LinkVerdict, EventEnvelope> => {
    const scanned = scanEvent(value);
    if (scanned !== null && scannedHashMatches(value, scanned)) return E.right(scanned.envelope);
    const notEnvelope = (reason: string): E.Either<LinkVerdict, EventEnvelope> =>
      E.left({ _tag: "Broken", streamId: headers.ce_subject ?? "?", revision: null, reason });
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch {
      return notEnvelope("value is not JSON");
    }
    const d = isEventEnvelope(raw) ? E.right(raw) : decodeEnvelope(raw);
    if (E.isLeft(d)) return notEnvelope(`not an envelope: ${JSON.stringify(d.left)}`);
    const e = d.right;
    return storedTextHashes(value, e.prevHash, e.hash) || hashEvent(e.prevHash, e) === e.hash
      ? E.right(e)
      : E.left({
          _tag: "Broken",
          streamId: e.streamId,
          revision: e.revision,
          reason: "hash does not match the envelope",
        });
  };
  return (value: string, headers: Readonly<Record<string, string>>): LinkVerdict => {
    const v = verified(value, headers);
    if (E.isLeft(v)) return v.left;
    const e = v.right;
    const broken = (reason: string): LinkVerdict => ({
      _tag: "Broken",
      streamId: e.streamId,
      revision: e.revision,
      reason,
    });
    if (
      headers.ce_id !== e.eventId ||
      headers.ce_subject !== e.streamId ||
      headers.ce_type !== ceType(e) ||
      headers["holdfast-revision"] !== String(e.revision) ||
      headers["holdfast-hash"] !== e.hash ||
      headers["holdfast-prev-hash"] !== e.prevHash
    )
      return broken("headers disagree with the envelope");
    const tip = tips.get(e.streamId);
    if (tip === undefined) {
      if (opts.fromEarliest && (e.revision !== 0 || !/^0{64}$/.test(e.prevHash)))
        return broken(`first event seen is revision ${e.revision}, expected revision 0 on the genesis hash`);
      tips.set(e.streamId, { revision: e.revision, hash: e.hash });
      return { _tag: "Linked", envelope: e, firstSeen: true };
    }
    if (e.revision <= tip.revision) return { _tag: "Duplicate", envelope: e };
    if (e.revision !== tip.revision + 1) return broken(`gap: expected revision ${tip.revision + 1}`);
    if (e.prevHash !== tip.hash) return broken(`prevHash does not link to revision ${tip.revision}`);
    tips.set(e.streamId, { revision: e.revision, hash: e.hash });
    return { _tag: "Linked", envelope: e, firstSeen: false };
  };
};
