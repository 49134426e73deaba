import type { Client } from "@elastic/elasticsearch";
import * as E from "fp-ts/lib/Either.js";
import { skuIdOf } from "../../event-schemas/index.ts";
import {
  type ProjectedEvent,
  type Projection,
  type ProjectionError,
  projectionFailed,
  tryProjection,
} from "../runtime/projection.ts";
import { foldProductEvent, type ProductDocument } from "./document.ts";
import { aliasedGeneration, ensureLiveProducts, productIndices, readProductCheckpoint } from "./indices.ts";

/** Whether a search could answer differently after `before` became `after` (counts alone do not matter). */
const changesSearch = (before: ProductDocument | null, after: ProductDocument): boolean =>
  before === null ||
  before.inStock !== after.inStock ||
  before.name !== after.name ||
  before.description !== after.description ||
  before.priceCents !== after.priceCents ||
  before.currency !== after.currency ||
  before.tags.join("\u0000") !== after.tags.join("\u0000");

/**
 * The Elasticsearch products projection. Elasticsearch has no transaction spanning documents, so the
 * scheme is idempotence instead of atomicity:
 * - each product document is a full snapshot of its SKU at a stream revision, indexed with
 *   `version_type: external` and `version = revision + 1`; Elasticsearch refuses (409) any write whose
 *   version is not above the stored one, so a re-applied or out-of-date snapshot is a harmless no-op;
 * - the checkpoint document is written only after every product write of the batch succeeded. A crash
 *   in between re-delivers the batch, whose writes are then refused or rewrite the same snapshot.
 * The projector folds a batch per SKU in memory starting from the stored document (events at or below
 * its revision are skipped), so a hot SKU costs one write per batch, not one per event.
 */
export const productsProjection = (
  es: Client,
  opts: {
    readonly prefix: string;
    readonly generation?: string;
    /**
     * Called before a batch writes a change a search can return (a new product, its words, price, tags or
     * in-stock flag): the search result cache's version bump (search-cache.ts). A failure fails the batch.
     */
    readonly onSearchableChange?: () => Promise<void>;
  },
): Projection => {
  const ix = productIndices(opts.prefix);
  const live = opts.generation === undefined;
  let gen: string | null = opts.generation ?? null;
  const cache = new Map<string, ProductDocument>();
  const resolve = async () => {
    if (gen === null) {
      gen = live ? await ensureLiveProducts(es, opts.prefix) : (opts.generation as string);
      cache.clear();
    }
    return gen;
  };

  const load = async (index: string, skuIds: string[]) => {
    const missing = skuIds.filter((s) => !cache.has(s));
    if (missing.length === 0) return;
    const r = await es.mget<ProductDocument>({ index, ids: missing, realtime: true });
    for (const d of r.docs)
      if ("found" in d && d.found && d._source !== undefined) cache.set(d._id, d._source);
  };

  return {
    name: live ? "products" : `products@${gen}`,
    generation: () => tryProjection(resolve),
    readCheckpoint: () => tryProjection(async () => readProductCheckpoint(es, opts.prefix, await resolve())),
    applyBatch: (events: ReadonlyArray<ProjectedEvent>, position) => async () => {
      try {
        const g = await resolve();
        if (live) {
          const current = await aliasedGeneration(es, opts.prefix);
          if (current !== g) {
            gen = null;
            return E.left<ProjectionError>({ _tag: "GenerationSuperseded", generation: current ?? "" });
          }
        }
        const index = ix.generation(g);
        const bySku = new Map<string, ProjectedEvent[]>();
        for (const e of events) {
          const skuId = skuIdOf(e.envelope.streamId);
          if (skuId === undefined) continue;
          const evs = bySku.get(skuId);
          if (evs === undefined) bySku.set(skuId, [e]);
          else evs.push(e);
        }
        await load(index, [...bySku.keys()]);
        const docs: ProductDocument[] = [];
        let searchable = false;
        for (const [skuId, evs] of bySku) {
          let doc = cache.get(skuId) ?? null;
          const before = doc;
          // The cached document is copied once, before the first event changes it; the copy is this
          // batch's own and takes the rest of its events in place.
          for (const e of evs)
            if (doc === null || e.envelope.revision > doc.revision)
              doc = foldProductEvent(
                doc !== null && doc === before ? { ...doc } : doc,
                e.event,
                e.envelope.revision,
              );
          if (doc !== null && doc !== before) {
            docs.push(doc);
            searchable ||= changesSearch(before, doc);
          }
        }
        if (searchable && opts.onSearchableChange !== undefined) await opts.onSearchableChange();
        if (docs.length > 0) {
          const r = await es.bulk({
            operations: docs.flatMap((d) => [
              {
                index: {
                  _index: index,
                  _id: d.skuId,
                  version: d.revision + 1,
                  version_type: "external" as const,
                },
              },
              d,
            ]),
          });
          if (r.errors) {
            const bad = r.items.find((it) => it.index?.error !== undefined && it.index.status !== 409);
            if (bad !== undefined) {
              cache.clear();
              return E.left(projectionFailed(`bulk failed: ${JSON.stringify(bad.index?.error)}`));
            }
          }
          for (const d of docs) cache.set(d.skuId, d);
        }
        await es.index({ index: ix.checkpoints, id: index, document: { position: position.toString() } });
        return E.right(undefined);
      } catch (e) {
        cache.clear();
        return E.left(projectionFailed(e));
      }
    },
  };
};
