import { isIsoInstant, isUuid } from "../envelope-check.ts";
import { currentVersions, type SkuEvent, type SkuEventType } from "./events.ts";

/**
 * Hand-written checks equal to the current-version data codecs of `events.ts` (io-ts), for readers that
 * decode every event of a stream (`holdfast audit verify`): the codecs' generic walk and regexes cost
 * several microseconds per event, these a fraction of one. On `false` the caller asks the codec (through
 * `upcastEvent`) for its description of what is wrong. `event-check.test.ts` checks that both agree on
 * every event of a real sale and on mutations of each field.
 *
 * Like `t.type`, a check accepts extra members and keeps the object as it is (the codec returns the
 * same object when every member is valid).
 */

type Check = (v: unknown) => boolean;

/** io-ts's `UnknownRecord`. */
const isRecord = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u);
const intIn =
  (min: number, max: number): Check =>
  (n) =>
    typeof n === "number" && Number.isSafeInteger(n) && n >= min && n <= max;
const quantity = intIn(1, 1_000_000);
const count = intIn(0, Number.MAX_SAFE_INTEGER);
const cents = intIn(0, 1_000_000_000_00);
const holdSeconds = intIn(1, 86_400);
const perUserLimit = intIn(1, 1_000_000);
const str: Check = (s) => typeof s === "string";
const bool: Check = (b) => typeof b === "boolean";
const uuid: Check = (s) => typeof s === "string" && isUuid(s);
const instant: Check = (s) => typeof s === "string" && isIsoInstant(s);
/** `^[A-Za-z0-9._-]{1,64}$` */
const identifier: Check = (s) => {
  if (typeof s !== "string" || s.length < 1 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      !(
        (c >= 48 && c <= 57) ||
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        c === 46 ||
        c === 95 ||
        c === 45
      )
    )
      return false;
  }
  return true;
};
/** `^[A-Z]{3}$` */
const currency: Check = (s) => {
  if (typeof s !== "string" || s.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
};
const tag: Check = (s) => typeof s === "string" && s.length >= 1 && s.length <= 64;
const tags: Check = (a) => Array.isArray(a) && a.every(tag);
const instantOrNull: Check = (s) => s === null || instant(s);
const REASONS = {
  "sold-out": null,
  "insufficient-stock": null,
  "limit-exceeded": null,
  "sale-not-open": null,
  "sale-closed": null,
};
const reason: Check = (s) => typeof s === "string" && Object.hasOwn(REASONS, s);

const shape = (fields: Readonly<Record<string, Check>>): Check => {
  const keys = Object.keys(fields);
  const checks = keys.map((k) => fields[k]!);
  return (u) => {
    if (!isRecord(u)) return false;
    for (let i = 0; i < keys.length; i++) if (!checks[i]!(u[keys[i]!])) return false;
    return true;
  };
};

const dataChecks: { readonly [K in SkuEventType]: Check } = {
  SkuListed: shape({
    skuId: identifier,
    name: str,
    description: str,
    priceCents: cents,
    currency,
    stock: count,
    perUserLimit,
    holdSeconds,
    saleStartsAt: instantOrNull,
    saleEndsAt: instantOrNull,
    tags,
  }),
  StockAdded: shape({ quantity, stock: count }),
  SaleClosed: shape({}),
  ReservationPlaced: shape({
    reservationId: uuid,
    userId: identifier,
    quantityRequested: quantity,
    quantity,
    allowPartial: bool,
    expiresAt: instant,
  }),
  ReservationRejected: shape({
    reservationId: uuid,
    userId: identifier,
    quantityRequested: quantity,
    allowPartial: bool,
    reason,
  }),
  ReservationCancelled: shape({ reservationId: uuid, userId: identifier, quantity }),
  ReservationExpired: shape({ reservationId: uuid, userId: identifier, quantity, expiresAt: instant }),
  OrderPlaced: shape({
    orderId: uuid,
    reservationId: uuid,
    userId: identifier,
    quantity,
    amountCents: cents,
    currency,
    paymentToken: str,
  }),
  PaymentSucceeded: shape({ orderId: uuid, reservationId: uuid, quantity, paymentId: str }),
  PaymentFailed: shape({ orderId: uuid, reservationId: uuid, quantity, reason: str }),
  PaymentUnresolved: shape({ orderId: uuid, reservationId: uuid, reason: str }),
};

/**
 * The event, when `type` is a known event type at its current `schemaVersion` and `data` is what that
 * type's codec accepts; `null` otherwise (an older version to upcast, or something to describe), where
 * the caller falls back to `upcastEvent`.
 */
export const currentEventOf = (type: string, schemaVersion: number, data: unknown): SkuEvent | null =>
  Object.hasOwn(currentVersions, type) &&
  currentVersions[type as SkuEventType] === schemaVersion &&
  dataChecks[type as SkuEventType](data)
    ? ({ type, data } as SkuEvent)
    : null;
