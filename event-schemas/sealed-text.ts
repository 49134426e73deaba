/**
 * The canonical text of each envelope `sealEvents` made, remembered beside the envelope object (a
 * WeakMap: nothing to free, nothing on the envelope itself). The writer computes the RFC 8785 text once
 * to hash it; the event store stores exactly that text, so it need not decode, re-canonicalise and
 * re-hash what the writer computed a moment earlier: it checks the links (revision, prevHash) and stores.
 *
 * An envelope that is not the very object `sealEvents` returned (a copy, a decoded one, a tampered one)
 * has no entry and takes the full checks. The fields the store checks are remembered with the text and
 * compared with the object's, so an object changed after sealing also takes the full checks.
 */
export interface SealedText {
  readonly text: string;
  readonly streamId: string;
  readonly revision: number;
  readonly prevHash: string;
  readonly hash: string;
}

const sealed = new WeakMap<object, SealedText>();

export const rememberSealedText = (envelope: object, s: SealedText): void => {
  sealed.set(envelope, s);
};

/** The text `sealEvents` computed for this very envelope, if it is unchanged in the fields that link it. */
export const sealedTextOf = (envelope: {
  readonly streamId: string;
  readonly revision: number;
  readonly prevHash: string;
  readonly hash: string;
}): string | null => {
  const s = sealed.get(envelope);
  if (s === undefined) return null;
  return s.streamId === envelope.streamId &&
    s.revision === envelope.revision &&
    s.prevHash === envelope.prevHash &&
    s.hash === envelope.hash
    ? s.text
    : null;
};

const OCCURRED_AT_MEMBER = ',"occurredAt":"';

/**
 * The hash member of a sealed envelope's canonical text, `,"hash":"<64 hex>"`, known here once: where
 * `withHashMember` writes it, where readers find it (`hashMemberAt`), what it carries (`hashInMember`)
 * and the text without it (`withoutHashMember`, what the chain hashes).
 */
const HASH_MEMBER = ',"hash":"';

/** From the start of the hash member to its 64 digits. */
export const HASH_DIGITS_OFFSET = HASH_MEMBER.length;

/** The length of `,"hash":"<64 hex>"`. */
export const HASH_MEMBER_LENGTH = HASH_MEMBER.length + 64 + 1;

/** The member after `occurredAt` in a sealed envelope's text. */
export const PREV_HASH_MEMBER = ',"prevHash":"';

/**
 * From the start of the hash member to prevHash's 64 digits, when `occurredAt` is a canonical instant
 * (24 characters, as the envelope codec requires): `,"hash":"<64 hex>","occurredAt":"<24>","prevHash":"`.
 */
export const PREV_HASH_DIGITS_OFFSET =
  HASH_MEMBER_LENGTH + OCCURRED_AT_MEMBER.length + 24 + 1 + PREV_HASH_MEMBER.length;

/**
 * The canonical text of the sealed envelope from the canonical text of the unsealed one: JCS sorts keys,
 * so `hash` sits between `eventId` and `occurredAt`. In valid JSON an unescaped `,"occurredAt":"` is a
 * key, and the LAST one is the top-level member (nested ones live in `data`, which sorts first; every
 * top-level member after it is a scalar). `null` if the text has no such member (never for an envelope).
 */
export const withHashMember = (unsealedText: string, hash: string): string | null => {
  const at = unsealedText.lastIndexOf(OCCURRED_AT_MEMBER);
  if (at < 0) return null;
  return `${unsealedText.slice(0, at)}${HASH_MEMBER}${hash}"${unsealedText.slice(at)}`;
};

/** How far from the end the top-level hash member usually lies (only scalars follow it). */
const TAIL_WINDOW = 512;

/**
 * Where the last `,"hash":"` of a text starts (-1 if none): `text.lastIndexOf(HASH_MEMBER)`, found by
 * forward searches from near the end first, which V8 runs several times faster than its backward scan.
 */
const lastHashMemberAt = (text: string): number => {
  if (text.length > TAIL_WINDOW) {
    let at = text.indexOf(HASH_MEMBER, text.length - TAIL_WINDOW);
    if (at >= 0) {
      for (
        let later = text.indexOf(HASH_MEMBER, at + 1);
        later >= 0;
        later = text.indexOf(HASH_MEMBER, at + 1)
      )
        at = later;
      return at;
    }
  }
  return text.lastIndexOf(HASH_MEMBER);
};

/**
 * Where the top-level hash member of a sealed canonical text starts, else -1. JCS sorts keys, so it sits
 * between `eventId` and `occurredAt`, and every top-level member after it is a scalar: in valid JSON an
 * unescaped `,"hash":"` can only be a key named `hash`, so its LAST occurrence is the top-level one
 * (nested ones live in `data`, which sorts first). -1 also when no quote closes 64 characters after it.
 */
export const hashMemberAt = (text: string): number => {
  const at = lastHashMemberAt(text);
  return at >= 0 && text.charCodeAt(at + HASH_MEMBER_LENGTH - 1) === 34 ? at : -1;
};

/** Where `text`'s top-level hash member starts when it carries `hash` there, else -1. */
export const hashMemberOf = (text: string, hash: string): number => {
  const at = hashMemberAt(text);
  return at >= 0 && text.startsWith(hash, at + HASH_MEMBER.length) ? at : -1;
};

/** The 64 characters the hash member that starts at `at` carries. */
export const hashInMember = (text: string, at: number): string =>
  text.slice(at + HASH_MEMBER.length, at + HASH_MEMBER_LENGTH - 1);

/** The text without the hash member that starts at `at`: what the chain hashes. */
export const withoutHashMember = (text: string, at: number): string =>
  text.slice(0, at) + text.slice(at + HASH_MEMBER_LENGTH);
