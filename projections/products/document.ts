import type { SkuEvent } from "../../event-schemas/index.ts";

/**
 * The product document in the search index: the listing's searchable fields plus coarse availability.
 * It is a full snapshot of the SKU at `revision`, so writing it is idempotent and an older snapshot can
 * never overwrite a newer one (the index uses the revision as an external version).
 */
export interface ProductDocument {
  skuId: string;
  name: string;
  description: string;
  tags: string[];
  priceCents: number;
  currency: string;
  total: number;
  held: number;
  sold: number;
  closed: boolean;
  inStock: boolean;
  revision: number;
}

export const PRODUCT_MAPPING = {
  dynamic: "strict",
  properties: {
    skuId: { type: "keyword" },
    name: { type: "text", analyzer: "standard" },
    description: { type: "text", analyzer: "standard" },
    tags: { type: "keyword" },
    priceCents: { type: "long" },
    currency: { type: "keyword" },
    total: { type: "long" },
    held: { type: "long" },
    sold: { type: "long" },
    closed: { type: "boolean" },
    inStock: { type: "boolean" },
    revision: { type: "long" },
  },
} as const;

/** Fold one event into the document (null before the listing). */
export const evolveProduct = (
  doc: ProductDocument | null,
  event: SkuEvent,
  revision: number,
): ProductDocument | null => {
  const next = (d: ProductDocument, patch: Partial<ProductDocument>): ProductDocument => {
    const n = { ...d, ...patch, revision };
    n.inStock = !n.closed && n.total - n.held - n.sold > 0;
    return n;
  };
  if (event.type === "SkuListed") {
    const d = event.data;
    return next(
      {
        skuId: d.skuId,
        name: d.name,
        description: d.description,
        tags: [...d.tags],
        priceCents: d.priceCents,
        currency: d.currency,
        total: d.stock,
        held: 0,
        sold: 0,
        closed: false,
        inStock: false,
        revision,
      },
      {},
    );
  }
  if (doc === null) return null;
  switch (event.type) {
    case "StockAdded":
      return next(doc, { total: event.data.stock });
    case "SaleClosed":
      return next(doc, { closed: true });
    case "ReservationPlaced":
      return next(doc, { held: doc.held + event.data.quantity });
    case "ReservationCancelled":
    case "ReservationExpired":
    case "PaymentFailed":
      return next(doc, { held: doc.held - event.data.quantity });
    case "PaymentSucceeded":
      return next(doc, { held: doc.held - event.data.quantity, sold: doc.sold + event.data.quantity });
    case "ReservationRejected":
    case "OrderPlaced":
    case "PaymentUnresolved":
      return next(doc, {});
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
};
