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

/**
 * Fold one event into `doc` in place, a document the caller owns (not one it handed out or cached); the
 * listing starts a new one. Null before the listing. `evolveProduct` is the same on a copy.
 */
export const foldProductEvent = (
  doc: ProductDocument | null,
  event: SkuEvent,
  revision: number,
): ProductDocument | null => {
  if (event.type === "SkuListed") {
    const d = event.data;
    return {
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
      inStock: d.stock > 0,
      revision,
    };
  }
  if (doc === null) return null;
  switch (event.type) {
    case "StockAdded":
      doc.total = event.data.stock;
      break;
    case "SaleClosed":
      doc.closed = true;
      break;
    case "ReservationPlaced":
      doc.held += event.data.quantity;
      break;
    case "ReservationCancelled":
    case "ReservationExpired":
    case "PaymentFailed":
      doc.held -= event.data.quantity;
      break;
    case "PaymentSucceeded":
      doc.held -= event.data.quantity;
      doc.sold += event.data.quantity;
      break;
    case "ReservationRejected":
    case "OrderPlaced":
    case "PaymentUnresolved":
      break;
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
  doc.revision = revision;
  doc.inStock = !doc.closed && doc.total - doc.held - doc.sold > 0;
  return doc;
};

/** Fold one event into the document (null before the listing); `doc` is left as it was. */
export const evolveProduct = (
  doc: ProductDocument | null,
  event: SkuEvent,
  revision: number,
): ProductDocument | null => foldProductEvent(doc === null ? null : { ...doc }, event, revision);
