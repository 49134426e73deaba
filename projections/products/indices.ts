import type { Client } from "@elastic/elasticsearch";
import { PRODUCT_MAPPING } from "./document.ts";

/**
 * Index layout of the products projection under a prefix ("hf-" in production; tests use their own):
 * generation N lives in index `{prefix}products-g{N}`; readers use the alias `{prefix}products`, which
 * points at exactly one generation; checkpoints live in `{prefix}projection-checkpoints`, one document
 * per generation index.
 */
export const productIndices = (prefix: string) => ({
  alias: `${prefix}products`,
  generation: (gen: string) => `${prefix}products-g${gen}`,
  checkpoints: `${prefix}projection-checkpoints`,
  seqDoc: "products-generation-seq",
});

const isStatus = (e: unknown, status: number) =>
  typeof e === "object" &&
  e !== null &&
  "meta" in e &&
  (e as { meta?: { statusCode?: number } }).meta?.statusCode === status;

export const ensureCheckpointIndex = async (es: Client, prefix: string) => {
  const ix = productIndices(prefix);
  try {
    await es.indices.create({
      index: ix.checkpoints,
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: { dynamic: false, properties: { position: { type: "keyword" } } },
    });
  } catch (e) {
    if (!isStatus(e, 400)) throw e; // resource_already_exists_exception
  }
};

/** A new generation id (the checkpoint index keeps a counter document, versioned for uniqueness). */
export const nextProductGeneration = async (es: Client, prefix: string): Promise<string> => {
  const ix = productIndices(prefix);
  await ensureCheckpointIndex(es, prefix);
  for (;;) {
    let current = 0;
    let seqNo: number | undefined;
    let primaryTerm: number | undefined;
    try {
      const d = await es.get<{ n: number }>({ index: ix.checkpoints, id: ix.seqDoc });
      current = d._source?.n ?? 0;
      seqNo = d._seq_no;
      primaryTerm = d._primary_term;
    } catch (e) {
      if (!isStatus(e, 404)) throw e;
    }
    try {
      await es.index({
        index: ix.checkpoints,
        id: ix.seqDoc,
        document: { n: current + 1 },
        ...(seqNo === undefined
          ? { op_type: "create" as const }
          : { if_seq_no: seqNo, if_primary_term: primaryTerm }),
        refresh: false,
      });
      return String(current + 1);
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
    }
  }
};

export const createProductIndex = async (es: Client, prefix: string, gen: string) => {
  await es.indices.create({
    index: productIndices(prefix).generation(gen),
    settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: "1s" },
    mappings: PRODUCT_MAPPING as never,
  });
};

/** The generation behind the alias, or `null` when there is no alias yet. */
export const aliasedGeneration = async (es: Client, prefix: string): Promise<string | null> => {
  const ix = productIndices(prefix);
  try {
    const r = await es.indices.getAlias({ name: ix.alias });
    const index = Object.keys(r)[0];
    return index === undefined ? null : index.slice(ix.generation("").length);
  } catch (e) {
    if (isStatus(e, 404)) return null;
    throw e;
  }
};

/** The live generation, creating generation 1 and the alias on first use. */
export const ensureLiveProducts = async (es: Client, prefix: string): Promise<string> => {
  const live = await aliasedGeneration(es, prefix);
  if (live !== null) return live;
  const gen = await nextProductGeneration(es, prefix);
  await createProductIndex(es, prefix, gen);
  const ix = productIndices(prefix);
  try {
    // Fails if somebody else created the alias meanwhile (must_exist is not available for add).
    await es.indices.updateAliases({
      actions: [{ add: { index: ix.generation(gen), alias: ix.alias, is_write_index: false } }],
    });
  } catch (e) {
    if (!isStatus(e, 400)) throw e;
  }
  const now = await aliasedGeneration(es, prefix);
  if (now !== gen) await es.indices.delete({ index: ix.generation(gen) }).catch(() => {});
  return now ?? gen;
};

export const readProductCheckpoint = async (
  es: Client,
  prefix: string,
  gen: string,
): Promise<bigint | null> => {
  const ix = productIndices(prefix);
  try {
    const d = await es.get<{ position: string }>({ index: ix.checkpoints, id: ix.generation(gen) });
    return d._source?.position === undefined ? null : BigInt(d._source.position);
  } catch (e) {
    if (isStatus(e, 404)) return null;
    throw e;
  }
};

export type ProductSwap =
  | { readonly _tag: "Swapped"; readonly previous: string | null }
  | { readonly _tag: "Behind"; readonly live: bigint; readonly candidate: bigint };

/**
 * Point the alias at `gen` in ONE `_aliases` call (remove + add are applied atomically, so a search
 * never finds zero or two generations), when `gen` has caught up with the live one; then delete the old
 * index. A search already running on the old index finishes.
 */
export const swapProductGeneration = async (
  es: Client,
  prefix: string,
  gen: string,
): Promise<ProductSwap> => {
  const ix = productIndices(prefix);
  const live = await aliasedGeneration(es, prefix);
  const liveCp = live === null ? -1n : ((await readProductCheckpoint(es, prefix, live)) ?? -1n);
  const candCp = (await readProductCheckpoint(es, prefix, gen)) ?? -1n;
  if (candCp < liveCp) return { _tag: "Behind", live: liveCp, candidate: candCp };
  await es.indices.refresh({ index: ix.generation(gen) });
  await es.indices.updateAliases({
    actions: [
      ...(live === null ? [] : [{ remove: { index: ix.generation(live), alias: ix.alias } }]),
      { add: { index: ix.generation(gen), alias: ix.alias } },
    ],
  });
  if (live !== null) {
    await es.indices.delete({ index: ix.generation(live) }).catch(() => {});
    await es.delete({ index: ix.checkpoints, id: ix.generation(live) }).catch(() => {});
  }
  return { _tag: "Swapped", previous: live };
};
