import type * as TE from "fp-ts/lib/TaskEither.js";

/** A product search request (API.md `GET /v1/products`), already validated. `page` is 1-based. */
export interface ProductQuery {
  readonly q?: string;
  readonly inStock?: boolean;
  readonly minPriceCents?: number;
  readonly maxPriceCents?: number;
  readonly tag?: string;
  readonly page: number;
  readonly size: number;
}

/**
 * The deepest result a search can page to (`page × size`): Elasticsearch's `index.max_result_window`,
 * left at its default by the products index. Deeper pages are the client's error, never a 5xx.
 */
export const MAX_RESULT_WINDOW = 10_000;

export interface ProductHit {
  readonly skuId: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly tags: ReadonlyArray<string>;
  /** Coarse availability as the search index last saw it (the read API prefers the live Redis view). */
  readonly inStock: boolean;
  readonly revision: number;
}

export type SearchError = { readonly _tag: "SearchUnavailable"; readonly message: string };

/**
 * One page of results. Totals are counted exactly up to a cap (at least 1,000, and always past the
 * page asked for): `totalRelation` is `"eq"` when `total` is the exact count, `"gte"` when there are at
 * least `total` matches (counting all of them would cost the index far more than the page).
 */
export interface SearchResult {
  readonly items: ReadonlyArray<ProductHit>;
  readonly total: number;
  readonly totalRelation: "eq" | "gte";
  /** How the answer was made, when a cache sits in front: `hit`, `miss`, or `shared` (an identical query in flight). */
  readonly cache?: "hit" | "miss" | "shared";
}

/**
 * The product search port (read side of the Elasticsearch products projection).
 *
 * @example
 *   const r = await search.search({ q: "tee", inStock: true, page: 1, size: 20 })();
 */
export interface ProductSearch {
  /** `fresh`: skip any cache in front (read-your-writes: the index was just seen to hold a revision). */
  search(q: ProductQuery, opts?: { readonly fresh?: boolean }): TE.TaskEither<SearchError, SearchResult>;
  /** The stream revision the index holds for the SKU (`null` when absent): for X-Min-Revision. */
  revisionOf(skuId: string): TE.TaskEither<SearchError, number | null>;
}
