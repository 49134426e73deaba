import * as t from "io-ts";

/**
 * The pattern of an `Identifier`, without anchors: for the regexes and OpenAPI patterns that embed one
 * (`sku-<Identifier>`, `X-Min-Revision: <Identifier>@<revision>`). Test a bare id with `Identifier.is`.
 */
export const IDENTIFIER_PATTERN = "[A-Za-z0-9._-]{1,64}";
const IDENTIFIER = new RegExp(`^${IDENTIFIER_PATTERN}$`);

/** Identifiers chosen by people (`skuId`, user ids): 1–64 of letters, digits, `.`, `_` and `-`. */
export interface IdentifierBrand {
  readonly Identifier: unique symbol;
}
export const Identifier = t.brand(
  t.string,
  (s): s is t.Branded<string, IdentifierBrand> => IDENTIFIER.test(s),
  "Identifier",
);
export type Identifier = t.TypeOf<typeof Identifier>;

/** The pattern of a `Uuid`, without anchors. */
export const UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID = new RegExp(`^${UUID_PATTERN}$`);
/** Server-made ids (reservations, orders, requests, events): RFC 4122 UUIDs, lower case. */
export interface UuidBrand {
  readonly Uuid: unique symbol;
}
export const Uuid = t.brand(t.string, (s): s is t.Branded<string, UuidBrand> => UUID.test(s), "Uuid");
export type Uuid = t.TypeOf<typeof Uuid>;

/** The pattern of an `IsoInstant`, without anchors. */
export const ISO_INSTANT_PATTERN = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";
const ISO_INSTANT = new RegExp(`^${ISO_INSTANT_PATTERN}$`);
/** An instant as an ISO-8601 UTC string with milliseconds, as `Date.prototype.toISOString` writes it. */
export interface IsoInstantBrand {
  readonly IsoInstant: unique symbol;
}
export const IsoInstant = t.brand(
  t.string,
  (s): s is t.Branded<string, IsoInstantBrand> => ISO_INSTANT.test(s) && !Number.isNaN(Date.parse(s)),
  "IsoInstant",
);
export type IsoInstant = t.TypeOf<typeof IsoInstant>;

/** The pattern of a `Sha256Hex`, without anchors. */
export const SHA256_HEX_PATTERN = "[0-9a-f]{64}";
const SHA256_HEX = new RegExp(`^${SHA256_HEX_PATTERN}$`);
/** A SHA-256 digest as 64 lower-case hex characters. */
export interface Sha256HexBrand {
  readonly Sha256Hex: unique symbol;
}
export const Sha256Hex = t.brand(
  t.string,
  (s): s is t.Branded<string, Sha256HexBrand> => SHA256_HEX.test(s),
  "Sha256Hex",
);
export type Sha256Hex = t.TypeOf<typeof Sha256Hex>;

/** Integers in a closed range (money in cents, quantities, revisions). */
const intIn = (name: string, min: number, max: number) =>
  t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= min && n <= max, name);

/** A quantity a shopper may ask for or an admin may add: 1 … 1,000,000. */
export const Quantity = intIn("Quantity", 1, 1_000_000);
/** A count that may be zero (stock, held, sold). */
export const Count = intIn("Count", 0, Number.MAX_SAFE_INTEGER);
/** Money in integer cents. */
export const Cents = intIn("Cents", 0, 1_000_000_000_00);
/** The pattern of a `Currency`, without anchors. */
export const CURRENCY_PATTERN = "[A-Z]{3}";
const CURRENCY = new RegExp(`^${CURRENCY_PATTERN}$`);
/** ISO 4217 alphabetic code. */
export const Currency = t.refinement(t.string, (s) => CURRENCY.test(s), "Currency");
/** Hold duration in seconds: 1 s … 1 day. */
export const HoldSeconds = intIn("HoldSeconds", 1, 86_400);
/** Per-shopper limit: 1 … 1,000,000 units. */
export const PerUserLimit = intIn("PerUserLimit", 1, 1_000_000);
/** A tag: 1–64 printable characters. */
export const Tag = t.refinement(t.string, (s) => s.length >= 1 && s.length <= 64, "Tag");

/** `sku-<skuId>`: the one stream of a SKU. */
export const streamIdOf = (skuId: string): string => `sku-${skuId}`;
export const skuIdOf = (streamId: string): string | undefined =>
  streamId.startsWith("sku-") ? streamId.slice(4) : undefined;
export const GENESIS_HASH = "0".repeat(64) as Sha256Hex;
