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

/**
 * Product search over the alias: words in name (boosted) and description with the standard analyzer
 * (all words must match, small typos forgiven), filters on coarse availability, price range and tag.
 */
export const elasticsearchProductSearch = (es: Client, opts: { readonly prefix: string }): ProductSearch => {
  const alias = productIndices(opts.prefix).alias;
  return {
    search: (q: ProductQuery) =>
      TE.tryCatch(async () => {
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
        const must =
          q.q === undefined
            ? [{ match_all: {} }]
            : [
                {
                  multi_match: {
                    query: q.q,
                    fields: ["name^2", "description"],
                    operator: "and",
                    fuzziness: "AUTO",
                  },
                },
              ];
        const r = await es.search<ProductDocument>({
          index: alias,
          from: (q.page - 1) * q.size,
          size: q.size,
          track_total_hits: true,
          query: { bool: { must, filter } } as never,
          sort: [{ _score: "desc" }, { skuId: "asc" }] as never,
        });
        const total = typeof r.hits.total === "number" ? r.hits.total : (r.hits.total?.value ?? 0);
        return {
          items: r.hits.hits.flatMap((h) => (h._source === undefined ? [] : [toHit(h._source)])),
          total,
        };
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
