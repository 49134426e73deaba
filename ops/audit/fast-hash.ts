import { chainHash, type EventEnvelope, hashEvent } from "../../event-schemas/index.ts";

/**
 * Does `envelope.hash` equal `hashEvent(envelope.prevHash, envelope)`? The same answer as the reference,
 * faster on the common case, and with no hash recipe of its own: both paths hash with the chain's
 * `chainHash` (event-schemas/chain-hash.ts), the fast one over `JSON.stringify`, the slow one (the
 * reference `hashEvent`) over the canonicaliser's text.
 *
 * Why it is safe: envelopes read from a store are parsed from their RFC 8785 text, so their keys are
 * already in canonical order at every level, and then `JSON.stringify` writes exactly the JCS bytes
 * (same number and string serialisation, no whitespace). The fast path checks that order first; when
 * it does not hold, or when the fast check fails, the reference `hashEvent` decides, so a mismatch is
 * only ever reported by the reference implementation.
 */
export const hashMatches = (envelope: EventEnvelope): boolean => {
  const { hash, ...rest } = envelope;
  if (keysSorted(rest)) {
    if (chainHash(envelope.prevHash, JSON.stringify(rest)) === hash) return true;
  }
  try {
    return hashEvent(envelope.prevHash, envelope) === hash;
  } catch {
    return false; // no JSON representation (e.g. a lone surrogate): the writer could not have hashed it
  }
};

/** The reference hash, for messages (slow path only). */
export const recomputedHash = (envelope: EventEnvelope): string => {
  try {
    return hashEvent(envelope.prevHash, envelope);
  } catch (e) {
    return `(no canonical form: ${(e as Error).message})`;
  }
};

/** Every object's own keys are in strictly increasing UTF-16 order (the JCS order), at every depth. */
export const keysSorted = (v: unknown): boolean => {
  if (typeof v !== "object" || v === null) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (!keysSorted(x)) return false;
    return true;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return false;
  let prev: string | null = null;
  for (const k of Object.keys(v)) {
    if (prev !== null && !(prev < k)) return false;
    prev = k;
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) return false; // JSON.stringify and JCS agree here, but keep the fast path narrow
    if (typeof x === "object" && x !== null && !keysSorted(x)) return false;
  }
  return true;
};
