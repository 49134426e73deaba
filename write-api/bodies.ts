import * as t from "io-ts";
import {
  Cents,
  Count,
  Currency,
  HoldSeconds,
  Identifier,
  IsoInstant,
  PerUserLimit,
  Quantity,
  Tag,
  Uuid,
} from "../event-schemas/index.ts";

/** Request bodies of the write routes (API.md), decoded with io-ts; defaults applied by the routes. */

export const ListSkuBody = t.intersection([
  t.type({
    skuId: Identifier,
    name: t.refinement(t.string, (s) => s.length >= 1 && s.length <= 200, "Name"),
    description: t.refinement(t.string, (s) => s.length <= 4000, "Description"),
    priceCents: Cents,
    currency: Currency,
    stock: Count,
  }),
  t.partial({
    perUserLimit: PerUserLimit,
    holdSeconds: HoldSeconds,
    saleStartsAt: t.union([IsoInstant, t.null]),
    saleEndsAt: t.union([IsoInstant, t.null]),
    tags: t.readonlyArray(Tag),
  }),
]);
export type ListSkuBody = t.TypeOf<typeof ListSkuBody>;

export const AddStockBody = t.type({ quantity: Quantity });

export const ReserveBody = t.intersection([
  t.type({ quantity: Quantity }),
  t.partial({ allowPartial: t.boolean }),
]);
export type ReserveBody = t.TypeOf<typeof ReserveBody>;

export const PlaceOrderBody = t.type({
  reservationId: Uuid,
  paymentToken: t.refinement(t.string, (s) => s.length >= 1 && s.length <= 512, "PaymentToken"),
});

export const IdempotencyKey = t.refinement(t.string, (s) => /^[\x21-\x7e]{1,128}$/.test(s), "IdempotencyKey");
