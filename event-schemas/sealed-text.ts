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
 * The canonical text of the sealed envelope from the canonical text of the unsealed one: JCS sorts keys,
 * so `hash` sits between `eventId` and `occurredAt`. In valid JSON an unescaped `,"occurredAt":"` is a
 * key, and the LAST one is the top-level member (nested ones live in `data`, which sorts first; every
 * top-level member after it is a scalar). `null` if the text has no such member (never for an envelope).
 */
export const withHashMember = (unsealedText: string, hash: string): string | null => {
  const at = unsealedText.lastIndexOf(OCCURRED_AT_MEMBER);
  if (at < 0) return null;
  return `${unsealedText.slice(0, at)},"hash":"${hash}"${unsealedText.slice(at)}`;
};
