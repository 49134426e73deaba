import * as t from "io-ts";
import { Count, Identifier, IsoInstant, Quantity, Uuid } from "./primitives.ts";

/**
 * The answer to one queued command, as the command handler publishes it (Redis key `…outcome:<requestId>`
 * with a TTL, and a message on the command's `replyTo` channel). It is what a shopper polls at
 * `GET /v1/requests/{requestId}` and what the write API turns into the 200/201/202/403/404/409 bodies of
 * API.md. `revision` is the stream revision of the event that answered the command (the tip when the
 * refusal wrote nothing, `null` for an unlisted SKU). `userId` is the shopper the command was for, so
 * only they may read it (`null` for admin and system commands).
 */
export const OutcomeResult = t.union([
  t.type({ kind: t.literal("reserved"), reservationId: Uuid, quantity: Quantity, expiresAt: IsoInstant }),
  t.type({ kind: t.literal("listed") }),
  t.type({ kind: t.literal("stock-added"), stock: Count }),
  t.type({ kind: t.literal("closed") }),
  t.type({ kind: t.literal("cancelled"), reservationId: Uuid }),
  t.type({ kind: t.literal("order-placed"), orderId: Uuid, reservationId: Uuid }),
  /** Expiry and payment records: nothing to show a shopper. */
  t.type({ kind: t.literal("done") }),
]);
export type OutcomeResult = t.TypeOf<typeof OutcomeResult>;

/** Why a command was refused: API.md's problem type names, plus one the saga alone sees. */
export const RefusalReason = t.keyof({
  "unknown-sku": null,
  "sku-exists": null,
  "sold-out": null,
  "insufficient-stock": null,
  "limit-exceeded": null,
  "sale-not-open": null,
  "sale-closed": null,
  "hold-not-active": null,
  "not-found": null,
  forbidden: null,
  "payment-already-settled": null,
});
export type RefusalReason = t.TypeOf<typeof RefusalReason>;

const common = {
  requestId: Uuid,
  skuId: Identifier,
  userId: t.union([Identifier, t.null]),
  revision: t.union([Count, t.null]),
  decidedAt: IsoInstant,
};

export const Outcome = t.union([
  t.type({ ...common, status: t.literal("accepted"), result: OutcomeResult }),
  t.type({ ...common, status: t.literal("refused"), reason: RefusalReason, detail: t.string }),
]);
export type Outcome = t.TypeOf<typeof Outcome>;

/** What travels on a reply channel: every outcome of one handler batch for that channel, in one message. */
export const OutcomeMessage = t.type({ outcomes: t.readonlyArray(Outcome) });
export type OutcomeMessage = t.TypeOf<typeof OutcomeMessage>;
