import { INTEGRATION_TOPIC } from "../infra/kafka/integration-topic.ts";

/**
 * Where the read side keeps its data, so several deployments (tests, benchmarks) can share one Redis,
 * Elasticsearch and Kafka without meeting. The defaults are production's. PostgreSQL views are isolated
 * by database instead (each test uses its own).
 */
export interface ReadSideNames {
  /** Redis namespace of the availability view and the projector statuses (see infra/redis/availability.ts). */
  readonly redisNamespace: string;
  /** Prefix of the Elasticsearch indices and alias. */
  readonly searchPrefix: string;
  readonly integrationTopic: string;
}

export const defaultReadSideNames: ReadSideNames = {
  redisNamespace: "hf:",
  searchPrefix: "hf-",
  integrationTopic: INTEGRATION_TOPIC,
};

/** The names for a `holdfast serve` namespace (`""` = production's), matching infra/process/namespace.ts. */
export const readSideNamesFor = (namespace: string): ReadSideNames =>
  namespace === ""
    ? defaultReadSideNames
    : {
        redisNamespace: `hf:${namespace}:`,
        searchPrefix: `hf-${namespace.toLowerCase()}-`,
        integrationTopic: `${INTEGRATION_TOPIC}.${namespace}`,
      };

/** The projections that can be rebuilt, by CLI name. */
export const REBUILDABLE = ["availability", "orders", "products"] as const;
export type RebuildableProjection = (typeof REBUILDABLE)[number];
