import { randomBytes } from "node:crypto";
import { Client } from "@elastic/elasticsearch";

/** Delete every index whose name starts with `prefix`: how tests and benchmarks leave search clean. */
export const deleteIndicesWithPrefix = async (es: Client, prefix: string): Promise<void> => {
  const r = await es.cat.indices({ index: `${prefix}*`, format: "json" }).catch(() => []);
  const names = (r as Array<{ index?: string }>).flatMap((x) => (x.index ? [x.index] : []));
  if (names.length > 0) await es.indices.delete({ index: names.join(",") }).catch(() => {});
};

/** An Elasticsearch client and an index prefix of its own; cleanup deletes only that prefix's indices. */
export const testElasticsearch = () => {
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? "http://127.0.0.1:9200" });
  const prefix = `hftest-${randomBytes(5).toString("hex")}-`;
  return {
    es,
    prefix,
    cleanup: async () => {
      await deleteIndicesWithPrefix(es, prefix);
      await es.close();
    },
  };
};
