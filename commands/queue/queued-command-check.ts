import {
  isIsoInstant as isIsoInstantText,
  isUuid as isUuidText,
} from "../../event-schemas/envelope-check.ts";
import type { QueuedCommand } from "../../event-schemas/index.ts";

// Exactly what the QueuedCommand codec accepts for the commands that make up a sale's load
// (reservations, cancellations, expiries), checked by hand: the handler decodes every queued command,
// and io-ts's generic walk of the ten-member command union was most of that. Any other command, and
// anything this guard does not accept, goes to the codec, which stays the one definition (and
// describes what is wrong). `queued-command-check.test.ts` checks the two agree.

const isUuid = (s: unknown): boolean => typeof s === "string" && isUuidText(s);

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

const isIsoInstant = (s: unknown): boolean => typeof s === "string" && isIsoInstantText(s);

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
