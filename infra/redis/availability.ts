import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { type SaleStatus, saleStatusAt } from "../../event-schemas/index.ts";

/**
 * The Redis availability view: key layout and the read side. The projector
 * (`projections/availability/`) is the only writer; the read API and the write API's sold-out edge check
 * read it through `readAvailability`.
 *
 * Key layout (`ns` is the key namespace, "hf:" by default; tests use their own):
 *
 * | key                              | type   | holds |
 * | ---                              | ---    | --- |
 * | `{ns}av:current`                 | string | the live generation id (e.g. "1"); rebuilds swap it |
 * | `{ns}av:{gen}:sku:{skuId}`       | hash   | `total`, `held`, `sold`, `closed` (0/1), `saleStartsAt`, `saleEndsAt` ("" when unset), `revision` (stream revision of the last applied event), product fields `name`, `description`, `priceCents`, `currency`, `tags` (JSON) |
 * | `{ns}av:{gen}:res:{reservationId}` | hash | `skuId`, `userId`, `quantity`, `status`, `expiresAt`, `orderId`, `revision` |
 * | `{ns}av:{gen}:checkpoint`        | string | global position (decimal) of the last event applied to this generation |
 * | channel `{ns}av:changes:{skuId}` | pub/sub | published after each batch that changed the SKU; message = its new revision |
 *
 * `held` counts units in live holds and in orders whose payment is pending or unresolved; `sold` counts
 * confirmed units; `available = total - held - sold`. The status depends on the clock (a scheduled sale
 * opens by itself), so the view stores the sale window and `readAvailability` computes the status at
 * read time with the rule of `event-schemas/sale-status.ts`.
 */

export const DEFAULT_NAMESPACE = "hf:";

export interface Availability {
  readonly skuId: string;
  readonly total: number;
  readonly available: number;
  readonly held: number;
  readonly sold: number;
  readonly status: SaleStatus;
  readonly revision: number;
}

export interface ProductRecord {
  readonly skuId: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly tags: ReadonlyArray<string>;
  readonly availability: Availability;
}

export interface ReservationRecord {
  readonly reservationId: string;
  readonly skuId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly status: "held" | "cancelled" | "expired" | "ordered" | "sold" | "released";
  readonly expiresAt: string;
  readonly revision: number;
}

export interface AvailabilityKeys {
  readonly pointer: string;
  readonly generationPrefix: (gen: string) => string;
  readonly sku: (gen: string, skuId: string) => string;
  readonly reservation: (gen: string, reservationId: string) => string;
  readonly checkpoint: (gen: string) => string;
  readonly channel: (skuId: string) => string;
  readonly channelPattern: string;
}

/** The keys of the availability view under namespace `ns`. */
export const availabilityKeys = (ns: string = DEFAULT_NAMESPACE): AvailabilityKeys => ({
  pointer: `${ns}av:current`,
  generationPrefix: (gen) => `${ns}av:${gen}:`,
  sku: (gen, skuId) => `${ns}av:${gen}:sku:${skuId}`,
  reservation: (gen, id) => `${ns}av:${gen}:res:${id}`,
  checkpoint: (gen) => `${ns}av:${gen}:checkpoint`,
  channel: (skuId) => `${ns}av:changes:${skuId}`,
  channelPattern: `${ns}av:changes:*`,
});

/**
 * Run a Lua script by SHA, loading it on NOSCRIPT. One round trip in the common case. The scripts read
 * the generation pointer and then the data key it names, which is why they touch keys not passed in
 * KEYS: holdfast runs a single Redis, not a cluster.
 */
export const evalScript = async (
  redis: Redis,
  script: { readonly source: string; readonly sha: string },
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number>,
): Promise<unknown> => {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("NOSCRIPT"))
      return redis.eval(script.source, keys.length, ...keys, ...args);
    throw e;
  }
};

export const luaScript = (source: string) => ({
  source,
  sha: createHash("sha1").update(source).digest("hex"),
});

// KEYS[1] = pointer; ARGV[1] = generation prefix base ("{ns}av:"), ARGV[2] = "sku:" or "res:", ARGV[3] = id.
const READ = luaScript(`
local gen = redis.call('GET', KEYS[1])
if not gen then return nil end
return redis.call('HGETALL', ARGV[1] .. gen .. ':' .. ARGV[2] .. ARGV[3])
`);

const toRecord = (flat: unknown): Record<string, string> | null => {
  if (!Array.isArray(flat) || flat.length === 0) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
};

const int = (s: string | undefined): number => {
  const n = Number(s ?? "0");
  return Number.isSafeInteger(n) ? n : 0;
};

/** A sale-window field of the hash as epoch ms ("" when unset: `null`). */
const instantOf = (s: string | undefined): number | null =>
  s === undefined || s === "" ? null : Date.parse(s);

/** Decode a SKU hash of the view into its availability at `nowMs` (`null` when the SKU is not listed). */
export const availabilityFromHash = (
  skuId: string,
  h: Record<string, string> | null,
  nowMs: number,
): Availability | null => {
  if (h === null || h.revision === undefined || h.total === undefined) return null;
  const total = int(h.total);
  const held = int(h.held);
  const sold = int(h.sold);
  const available = Math.max(0, total - held - sold);
  const status = saleStatusAt(
    {
      closed: h.closed === "1",
      saleStartsAtMs: instantOf(h.saleStartsAt),
      saleEndsAtMs: instantOf(h.saleEndsAt),
      available,
    },
    nowMs,
  );
  return { skuId, total, available, held, sold, status, revision: int(h.revision) };
};

const readHash = async (redis: Redis, ns: string, kind: "sku:" | "res:", id: string) =>
  toRecord(await evalScript(redis, READ, [availabilityKeys(ns).pointer], [`${ns}av:`, kind, id]));

/**
 * The SKU's hash in the live generation as stored (`null` when absent), one round trip: for readers that
 * keep their own copy and need the sale window to know when the status changes by itself.
 */
export const readSkuHash = (
  redis: Redis,
  skuId: string,
  opts: { readonly namespace?: string } = {},
): Promise<Record<string, string> | null> =>
  readHash(redis, opts.namespace ?? DEFAULT_NAMESPACE, "sku:", skuId);

/**
 * The availability of one SKU now, or `null` when the SKU is unknown to the view (not listed, or the
 * view has not caught up yet). One Redis round trip.
 *
 * @example
 *   const a = await readAvailability(redis, "tee-1");
 *   if (a !== null && a.status === "sold_out" && a.held === 0) return problem(c, "sold-out", "…");
 */
export const readAvailability = async (
  redis: Redis,
  skuId: string,
  opts: { readonly namespace?: string; readonly nowMs?: number } = {},
): Promise<Availability | null> =>
  availabilityFromHash(
    skuId,
    await readHash(redis, opts.namespace ?? DEFAULT_NAMESPACE, "sku:", skuId),
    opts.nowMs ?? Date.now(),
  );

/** A product (the listing's fields) with its availability, from the same hash. */
export const readProduct = async (
  redis: Redis,
  skuId: string,
  opts: { readonly namespace?: string; readonly nowMs?: number } = {},
): Promise<ProductRecord | null> => {
  const h = await readHash(redis, opts.namespace ?? DEFAULT_NAMESPACE, "sku:", skuId);
  const availability = availabilityFromHash(skuId, h, opts.nowMs ?? Date.now());
  if (h === null || availability === null || h.name === undefined) return null;
  let tags: string[] = [];
  try {
    const parsed: unknown = JSON.parse(h.tags ?? "[]");
    if (Array.isArray(parsed)) tags = parsed.filter((x): x is string => typeof x === "string");
  } catch {
    tags = [];
  }
  return {
    skuId,
    name: h.name,
    description: h.description ?? "",
    priceCents: int(h.priceCents),
    currency: h.currency ?? "",
    tags,
    availability,
  };
};

const RESERVATION_STATUSES = new Set(["held", "cancelled", "expired", "ordered", "sold", "released"]);

/** One reservation as the availability view last saw it, or `null`. */
export const readReservation = async (
  redis: Redis,
  reservationId: string,
  opts: { readonly namespace?: string } = {},
): Promise<ReservationRecord | null> => {
  const h = await readHash(redis, opts.namespace ?? DEFAULT_NAMESPACE, "res:", reservationId);
  if (
    h === null ||
    h.skuId === undefined ||
    h.userId === undefined ||
    !RESERVATION_STATUSES.has(h.status ?? "")
  )
    return null;
  return {
    reservationId,
    skuId: h.skuId,
    userId: h.userId,
    quantity: int(h.quantity),
    status: h.status as ReservationRecord["status"],
    expiresAt: h.expiresAt ?? "",
    revision: int(h.revision),
  };
};
