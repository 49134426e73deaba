import { randomBytes } from "node:crypto";
import { Client } from "@elastic/elasticsearch";

/** An Elasticsearch client and an index prefix of its own; cleanup deletes only that prefix's indices. */
export const testElasticsearch = () => {
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? "http://127.0.0.1:9200" });
  const prefix = `hftest-${randomBytes(5).toString("hex")}-`;
  return {
    es,
    prefix,
    cleanup: async () => {
      const r = await es.cat.indices({ index: `${prefix}*`, format: "json" }).catch(() => []);
      const names = (r as Array<{ index?: string }>).flatMap((x) => (x.index ? [x.index] : []));
      if (names.length > 0) await es.indices.delete({ index: names.join(",") }).catch(() => {});
      await es.close();
    },
  };
};
