import type { EventEnvelope } from "./envelope.ts";
import { ISO_INSTANT_PATTERN } from "./primitives.ts";

// Character loops rather than the codecs' regular expressions: on this path a 64-character class
// regex cost microseconds per event, the loops a small fraction of that. A table lookup per character
// rather than range tests: in random hex (hashes, v4 UUIDs) "digit or a-f" is a coin toss the branch
// predictor loses, which made the range tests (and the same class in a regular expression) ~2.5× slower.
const NOT_HEX = new Uint8Array(65536).fill(1);
for (const c of "0123456789abcdef") NOT_HEX[c.charCodeAt(0)] = 0;
/** Whether `s` holds only lower-case hex digits from `from` to `to` (and `to <= s.length`). */
export const isHexAt = (s: string, from: number, to: number): boolean => {
  if (to > s.length) return false;
  let bad = 0;
  for (let i = from; i < to; i++) bad |= NOT_HEX[s.charCodeAt(i)]!;
  return bad === 0;
};
const isSha256Hex = (s: string): boolean => s.length === 64 && isHexAt(s, 0, 64);
/** `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$` */
export const isUuid = (s: string): boolean =>
  s.length === 36 &&
  s.charCodeAt(8) === 45 &&
  s.charCodeAt(13) === 45 &&
  s.charCodeAt(18) === 45 &&
  s.charCodeAt(23) === 45 &&
  isHexAt(s, 0, 8) &&
  isHexAt(s, 9, 13) &&
  isHexAt(s, 14, 18) &&
  isHexAt(s, 19, 23) &&
  isHexAt(s, 24, 36);

const ISO_INSTANT = new RegExp(`^${ISO_INSTANT_PATTERN}$`);
const two = (s: string, at: number) => (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
/**
 * The codec's IsoInstant: the pattern, and `Date.parse` not NaN. A date that is plainly valid (month
 * 1–12, day 1–28, time below 24:00:00) needs no `Date.parse`; anything else asks it, as the codec does.
 */
export const isIsoInstant = (s: string): boolean => ISO_INSTANT.test(s) && isRealInstant(s);

/** `isIsoInstant` for a string already known to match `ISO_INSTANT_PATTERN`: is it a real instant? */
export const isRealInstant = (s: string): boolean => {
  const month = two(s, 5);
  const day = two(s, 8);
  if (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 28 &&
    two(s, 11) < 24 &&
    two(s, 14) < 60 &&
    two(s, 17) < 60
  )
    return true;
  return !Number.isNaN(Date.parse(s));
};

const count = (n: unknown): boolean => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/**
 * Whether a parsed value is an `EventEnvelope`: exactly what the `EventEnvelope` codec accepts, checked
 * by hand in about a tenth of its time (readers check every event they read; the codec's generic walk
 * was a third of the feed's CPU). On `false` the caller asks the codec, for its description of what is
 * wrong. `envelope-check.test.ts` checks the two agree on valid envelopes and on mutations of them.
 */
export const isEventEnvelope = (u: unknown): u is EventEnvelope => isEnvelopeShape(u) && isSha256Hex(u.hash);

/**
 * `isEventEnvelope` except that `hash` need only be a string: for a reader that compares it with the
 * SHA-256 it computes (a digest is lower-case hex, so equality proves the format too).
 */
export const isEnvelopeShape = (u: unknown): u is EventEnvelope => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false;
  const e = u as Record<string, unknown>;
  const data = e.data;
  return (
    typeof e.eventId === "string" &&
    isUuid(e.eventId) &&
    typeof e.type === "string" &&
    typeof e.schemaVersion === "number" &&
    Number.isSafeInteger(e.schemaVersion) &&
    e.schemaVersion >= 1 &&
    typeof e.streamId === "string" &&
    count(e.revision) &&
    typeof e.occurredAt === "string" &&
    isIsoInstant(e.occurredAt) &&
    typeof e.requestId === "string" &&
    typeof e.correlationId === "string" &&
    typeof e.causationId === "string" &&
    count(e.queuePosition) &&
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data) &&
    typeof e.prevHash === "string" &&
    isSha256Hex(e.prevHash) &&
    typeof e.hash === "string"
  );
};
