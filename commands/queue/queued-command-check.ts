import type { QueuedCommand } from "../../event-schemas/index.ts";

// Exactly what the QueuedCommand codec accepts for the commands that make up a sale's load
// (reservations, cancellations, expiries), checked by hand: the handler decodes every queued command,
// and io-ts's generic walk of the ten-member command union was most of that. Any other command, and
// anything this guard does not accept, goes to the codec, which stays the one definition (and
// describes what is wrong). `queued-command-check.test.ts` checks the two agree.

const isHexAt = (s: string, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
};
/** `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$` */
const isUuid = (s: unknown): boolean =>
  typeof s === "string" &&
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

/** `^[A-Za-z0-9._-]{1,64}$` */
const isIdentifier = (s: unknown): boolean => {
  if (typeof s !== "string" || s.length < 1 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 46 ||
      c === 95 ||
      c === 45;
    if (!ok) return false;
  }
  return true;
};

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const two = (s: string, at: number) => (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
/**
 * The codec's IsoInstant: the pattern, and `Date.parse` not NaN. A date that is plainly valid (month
 * 1–12, day 1–28, time below 24:00:00) needs no `Date.parse`; anything else asks it, as the codec does.
 */
const isIsoInstant = (s: unknown): boolean => {
  if (typeof s !== "string" || !ISO_INSTANT.test(s)) return false;
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

const isQuantity = (n: unknown): boolean =>
  typeof n === "number" && Number.isSafeInteger(n) && n >= 1 && n <= 1_000_000;

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u);

const isHotBody = (b: unknown): boolean => {
  if (!isObject(b)) return false;
  switch (b.type) {
    case "PlaceReservation":
      return (
        isUuid(b.reservationId) &&
        isIdentifier(b.userId) &&
        isQuantity(b.quantity) &&
        typeof b.allowPartial === "boolean"
      );
    case "CancelReservation":
      return isUuid(b.reservationId) && isIdentifier(b.userId);
    case "ExpireHolds":
      return true;
    default:
      return false;
  }
};

/**
 * Whether a parsed queue message is a `QueuedCommand` of a reservation, a cancellation or an expiry,
 * exactly as the codec would accept it (the codec's `t.type` keeps the value as it is, so a value this
 * accepts is its own decoding). `false` says only "ask the codec".
 */
export const isHotQueuedCommand = (u: unknown): u is QueuedCommand => {
  if (!isObject(u)) return false;
  return (
    isUuid(u.requestId) &&
    isIdentifier(u.skuId) &&
    isIsoInstant(u.issuedAt) &&
    typeof u.correlationId === "string" &&
    typeof u.causationId === "string" &&
    (u.replyTo === null || typeof u.replyTo === "string") &&
    isHotBody(u.command)
  );
};
