import type { Client } from "@elastic/elasticsearch";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { ProductDocument } from "./document.ts";
import { productIndices } from "./indices.ts";
import type { ProductHit, ProductQuery, ProductSearch, SearchError } from "./search-port.ts";

const unavailable = (e: unknown): SearchError => ({ _tag: "SearchUnavailable", message: String(e) });

const toHit = (d: ProductDocument): ProductHit => ({
  skuId: d.skuId,
  name: d.name,
  description: d.description,
  priceCents: d.priceCents,
  currency: d.currency,
  tags: d.tags,
  inStock: d.inStock,
  revision: d.revision,
});

/** Totals are exact up to this many matches (and always past the page asked for); beyond, "at least". */
export const TOTAL_CAP = 1_000;

/** Only what a page shows (and the revision, for X-Min-Revision): the index keeps counts the page does not. */
const PAGE_FIELDS = ["skuId", "name", "description", "priceCents", "currency", "tags", "inStock", "revision"];

const textQuery = (q: string, fuzzy: boolean) => ({
  multi_match: {
    query: q,
    fields: ["name^2", "description"],
    operator: "and",
    ...(fuzzy ? { fuzziness: "AUTO", prefix_length: 1, max_expansions: 20 } : {}),
  },
});

/**
 * Product search over the alias: words in name (boosted) and description with the standard analyzer
 * (all words must match), filters on coarse availability, price range and tag. Exact words first; only
 * when they find nothing is the query asked again forgiving small typos (fuzzy matching is what costs
 * the index most, and most shoppers spell the words of the names they saw). Totals are exact up to
 * `TOTAL_CAP` (see `SearchResult`); only the page's fields are fetched.
 */
export const elasticsearchProductSearch = (es: Client, opts: { readonly prefix: string }): ProductSearch => {
  const alias = productIndices(opts.prefix).alias;
  const run = async (q: ProductQuery, fuzzy: boolean) => {
    const filter: object[] = [];
    if (q.inStock !== undefined) filter.push({ term: { inStock: q.inStock } });
    if (q.tag !== undefined) filter.push({ term: { tags: q.tag } });
    if (q.minPriceCents !== undefined || q.maxPriceCents !== undefined)
      filter.push({
        range: {
          priceCents: {
            ...(q.minPriceCents === undefined ? {} : { gte: q.minPriceCents }),
            ...(q.maxPriceCents === undefined ? {} : { lte: q.maxPriceCents }),
          },
        },
      });
    const from = (q.page - 1) * q.size;
    const r = await es.search<ProductDocument>({
      index: alias,
      from,
      size: q.size,
      track_total_hits: Math.max(TOTAL_CAP, from + q.size + 1),
      _source: PAGE_FIELDS,
      query: (q.q === undefined
        ? { bool: { filter } }
        : { bool: { must: [textQuery(q.q, fuzzy)], filter } }) as never,
      sort: (q.q === undefined ? [{ skuId: "asc" }] : [{ _score: "desc" }, { skuId: "asc" }]) as never,
    });
    const t = r.hits.total;
    const total = typeof t === "number" ? t : (t?.value ?? 0);
    const totalRelation: "eq" | "gte" = typeof t === "object" && t.relation === "gte" ? "gte" : "eq";
    return {
      items: r.hits.hits.flatMap((h) => (h._source === undefined ? [] : [toHit(h._source)])),
      total,
      totalRelation,
    };
  };
  return {
    search: (q: ProductQuery) =>
      TE.tryCatch(async () => {
        const exact = await run(q, false);
        return exact.total > 0 || q.q === undefined ? exact : run(q, true);
      }, unavailable),
    // Asked through search (not GET), so "reached" means searchable, not merely stored.
    revisionOf: (skuId) =>
      TE.tryCatch(async () => {
        const r = await es.search<ProductDocument>({
          index: alias,
          size: 1,
          query: { term: { skuId } },
          _source: ["revision"],
        });
        return r.hits.hits[0]?._source?.revision ?? null;
      }, unavailable),
  };
};
