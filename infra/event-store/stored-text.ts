import * as E from "fp-ts/lib/Either.js";
import { chainHash } from "../../event-schemas/chain-hash.ts";
import { canonicalJson, decodeEnvelope, type EventEnvelope } from "../../event-schemas/index.ts";
import { isEnvelopeShape } from "../../event-schemas/envelope-check.ts";
import {
  HASH_MEMBER_LENGTH,
  PREV_HASH_MEMBER,
  hashInMember,
  hashMemberAt,
  hashMemberOf,
  withoutHashMember,
} from "../../event-schemas/sealed-text.ts";
import { type ScannedEvent, scanEvent } from "../../event-schemas/sku/scan-event.ts";
import type { GlobalPosition, RecordedEvent, StoreError, StoredEvent } from "./port.ts";

/**
 * The stored form of an event: the RFC 8785 text of the whole envelope (hash included), byte for byte.
 *
 * Why the hash can be checked on that text without re-canonicalising: cutting its top-level hash member
 * out (found and cut by event-schemas/sealed-text.ts, which knows where JCS puts it) gives exactly the
 * canonical JSON of the envelope without `hash`, which is what `hashEvent` hashes.
 */

/** The 13 envelope fields: an envelope with any other top-level field is refused (see above). */
const ENVELOPE_FIELDS = 13;

/** The canonical text without its top-level hash member, and the hash it carried (or `null` if absent). */
const splitHash = (text: string): { readonly unhashed: string; readonly hash: string } | null => {
  const at = hashMemberAt(text);
  if (at < 0) return null;
  return { unhashed: withoutHashMember(text, at), hash: hashInMember(text, at) };
};

/**
 * Whether `text` carries `hash` as its top-level hash member and its bytes without that member hash to
 * it after `prevHash`: the whole hash check of a canonical text, without decoding or re-canonicalising
 * anything. (Text that is not canonical fails even when its envelope is sound: ask `hashEvent` then.)
 */
export const storedTextHashes = (text: string, prevHash: string, hash: string): boolean => {
  const at = hashMemberOf(text, hash);
  return at >= 0 && chainHash(prevHash, withoutHashMember(text, at)) === hash;
};

/**
 * The hash a stored text carries if its bytes (without the hash member) hash to it after the `prevHash`
 * it carries, else `null`: the verification of a stored event without decoding anything (no
 * `JSON.parse`, no shape check, no re-canonicalisation). A text changed after sealing fails it.
 *
 * The hash member is the last `,"hash":"`, as `decodeStored` finds it. The top-level members after it
 * are `occurredAt`, then `prevHash`, then scalars, so the first `,"prevHash":"` after it is the
 * top-level one (for a text that is not a canonical envelope the digest simply fails).
 */
export const verifiedHashOf = (text: string): string | null => {
  const at = hashMemberAt(text);
  if (at < 0) return null;
  const prevAt = text.indexOf(PREV_HASH_MEMBER, at + HASH_MEMBER_LENGTH);
  if (prevAt < 0 || text.charCodeAt(prevAt + PREV_HASH_MEMBER.length + 64) !== 34) return null;
  const from = prevAt + PREV_HASH_MEMBER.length;
  const hash = hashInMember(text, at);
  const digest = chainHash(text.slice(from, from + 64), withoutHashMember(text, at));
  return digest === hash ? hash : null;
};

/** The canonical text of a sealed envelope, or why it cannot be stored (its hash does not verify). */
export const encodeStored = (envelope: EventEnvelope): E.Either<string, string> => {
  if (Object.keys(envelope).length !== ENVELOPE_FIELDS)
    return E.left("envelope has fields beyond the 13 defined");
  let text: string;
  try {
    text = canonicalJson(envelope);
  } catch (e) {
    return E.left(`envelope has no JSON representation: ${(e as Error).message}`);
  }
  const split = splitHash(text);
  if (split === null) return E.left("envelope has no hash");
  if (chainHash(envelope.prevHash, split.unhashed) !== envelope.hash)
    return E.left(
      `revision ${envelope.revision}: hash does not match the envelope (not sealed, or changed after sealing)`,
    );
  return E.right(text);
};

const corrupt = (streamId: string, position: GlobalPosition | null, message: string): StoreError => ({
  _tag: "CorruptEvent",
  streamId,
  position,
  message,
});

/** `JSON.parse` and the envelope check of a stored text (its hash is checked by the caller). */
const parseStored = (
  text: string,
  streamId: string,
  position: GlobalPosition | null,
): E.Either<StoreError, EventEnvelope> => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return E.left(corrupt(streamId, position, `stored text is not JSON: ${(e as Error).message}`));
  }
  // The hash member is compared with the digest (or the verified hash), which also proves it is 64
  // lower-case hex.
  if (!isEnvelopeShape(raw)) {
    const env = decodeEnvelope(raw);
    const why = E.isLeft(env) ? ("message" in env.left ? env.left.message : env.left._tag) : "invalid";
    return E.left(corrupt(streamId, position, `stored envelope: ${why}`));
  }
  if (raw.streamId !== streamId)
    return E.left(corrupt(streamId, position, `stored event names stream ${raw.streamId}`));
  return E.right(raw);
};

/**
 * Parse and decode a stored text, checking that its bytes still hash to the hash it carries. A row that
 * fails is a `CorruptEvent` value, never an exception.
 *
 * The read path of every projector, rebuild, relay and audit, so it does the least that proves the
 * event: one `JSON.parse`, a hand-written check equal to the envelope codec (the codec runs only to
 * describe a failure), and one SHA-256 over the stored bytes minus the hash member, never a
 * re-canonicalisation.
 */
export const decodeStored = (
  text: string,
  streamId: string,
  position: GlobalPosition | null,
): E.Either<StoreError, EventEnvelope> => {
  const env = parseStored(text, streamId, position);
  if (E.isLeft(env)) return env;
  const raw = env.right;
  const at = hashMemberOf(text, raw.hash);
  if (at < 0) return E.left(corrupt(streamId, position, "stored text has no top-level hash member"));
  if (chainHash(raw.prevHash, withoutHashMember(text, at)) !== raw.hash)
    return E.left(
      corrupt(streamId, position, `stored bytes of revision ${raw.revision} do not hash to its hash`),
    );
  return env;
};

/**
 * A row of the feed in its stored form once its bytes hash to the hash they carry (`verifiedHashOf`),
 * else the `CorruptEvent` the full decode names (it finds the same hash member, so it fails too).
 */
export const verifyStored = (
  position: GlobalPosition,
  streamId: string,
  storedText: string,
): E.Either<StoreError, StoredEvent> => {
  const hash = verifiedHashOf(storedText);
  if (hash !== null) return E.right({ position, streamId, storedText, hash });
  const why = decodeStored(storedText, streamId, position);
  return E.isLeft(why) ? why : E.left(corrupt(streamId, position, "stored bytes do not hash"));
};

/**
 * The scanner's reading (event-schemas/sku/scan-event.ts, no `JSON.parse`) of a verified stored event,
 * when it vouches for it and finds the verified hash and the stream the store filed the event under;
 * `null` sends the caller down the full decode (an older schema version, anything odd).
 */
export const scanVerified = (e: StoredEvent): ScannedEvent | null => {
  const s = scanEvent(e.storedText);
  return s !== null && s.envelope.hash === e.hash && s.envelope.streamId === e.streamId ? s : null;
};

/**
 * Decode a stored event whose bytes were already verified (`verifyStored`): the same checks as
 * `decodeStored` but the SHA-256, which the verification made, read by the scanner where it can. The
 * decoded envelope must carry the hash that was verified, so a text swapped in between would not pass.
 */
export const decodeVerifiedStoredEvent = (e: StoredEvent): E.Either<StoreError, RecordedEvent> => {
  const scanned = scanVerified(e);
  if (scanned !== null)
    return E.right({ envelope: scanned.envelope, position: e.position, storedText: e.storedText });
  const env = parseStored(e.storedText, e.streamId, e.position);
  if (E.isLeft(env)) return env;
  if (env.right.hash !== e.hash)
    return E.left(corrupt(e.streamId, e.position, "stored envelope does not carry its verified hash"));
  return E.right({ envelope: env.right, position: e.position, storedText: e.storedText });
};

/** A stored row verified and decoded: what `readAll` and `readStream` hand over for it. */
export const decodeStoredRow = (
  position: GlobalPosition,
  streamId: string,
  storedText: string,
): E.Either<StoreError, RecordedEvent> => {
  const v = verifyStored(position, streamId, storedText);
  return E.isLeft(v) ? v : decodeVerifiedStoredEvent(v.right);
};

/** Decode a verified stored event of the feed into what `readAll` would have returned for it. */
export const decodeStoredEvent = (e: StoredEvent): E.Either<StoreError, RecordedEvent> => {
  const env = decodeStored(e.storedText, e.streamId, e.position);
  return E.isLeft(env)
    ? env
    : E.right({ envelope: env.right, position: e.position, storedText: e.storedText });
};
