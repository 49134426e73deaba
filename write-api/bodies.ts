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
  Uuid,
} from "../event-schemas/index.ts";
import { personText } from "./text.ts";

/** Request bodies of the write routes (API.md), decoded with io-ts; defaults applied by the routes. */

const Tag = personText("Tag", { min: 1, max: 64 });

const ListSkuFields = t.intersection([
  t.type({
    skuId: Identifier,
    name: personText("Name", { min: 1, max: 200 }),
    description: personText("Description", { min: 0, max: 4000, multiline: true }),
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

const LaterThanStart = t.refinement(t.string, () => false, "an instant later than saleStartsAt");

/** A listing whose sale, when it has both ends, ends after it starts. */
export const ListSkuBody = new t.Type<t.TypeOf<typeof ListSkuFields>, unknown, unknown>(
  "ListSkuBody",
  ListSkuFields.is,
  (u, c) => {
    const r = ListSkuFields.validate(u, c);
    if (r._tag === "Left") return r;
    const { saleStartsAt, saleEndsAt } = r.right;
    if (
      saleStartsAt !== undefined &&
      saleStartsAt !== null &&
      saleEndsAt !== undefined &&
      saleEndsAt !== null &&
      Date.parse(saleEndsAt) <= Date.parse(saleStartsAt)
    )
      return t.failure(
        saleEndsAt,
        [...c, { key: "saleEndsAt", type: LaterThanStart, actual: saleEndsAt }],
        "saleEndsAt must be later than saleStartsAt",
      );
    return r;
  },
  ListSkuFields.encode,
);
export type ListSkuBody = t.TypeOf<typeof ListSkuBody>;

export const AddStockBody = t.type({ quantity: Quantity });

export const ReserveBody = t.intersection([
  t.type({ quantity: Quantity }),
  t.partial({ allowPartial: t.boolean }),
]);
export type ReserveBody = t.TypeOf<typeof ReserveBody>;

export const PlaceOrderBody = t.type({
  reservationId: Uuid,
  paymentToken: personText("PaymentToken", { min: 1, max: 512 }),
});

export const IdempotencyKey = t.refinement(t.string, (s) => /^[\x21-\x7e]{1,128}$/.test(s), "IdempotencyKey");
