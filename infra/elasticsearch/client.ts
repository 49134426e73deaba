import { Client } from "@elastic/elasticsearch";
import type { Config } from "../config/config.ts";

export type { Client as Elasticsearch };

/**
 * An Elasticsearch 8 client from the decoded config. The local integ-test distribution may not answer
 * `GET /`, so readiness uses `/_cluster/health`, never `ping()`/`info()`.
 */
export const makeElasticsearch = (config: Pick<Config, "elasticsearchUrl">): Client =>
  new Client({ node: config.elasticsearchUrl, requestTimeout: 30_000, maxRetries: 2 });

/** Readiness probe: `null` when the cluster is green or yellow. */
export const elasticsearchReady = (es: Client) => async (): Promise<string | null> => {
  const h = await es.cluster.health({ timeout: "1s" });
  return h.status === "red" ? "cluster health is red" : null;
};
