import { type CommandTopics, commandTopics } from "../command-queue/topics.ts";

/**
 * Names that let several holdfast deployments (tests, benchmarks) share one Kafka and one Redis without
 * meeting: topic suffix, Redis key prefix and consumer group. The empty namespace is production's.
 */
export interface Namespace {
  readonly name: string;
  readonly topics: CommandTopics;
  /** Redis key prefix of the write side (outcomes, idempotency, references, rate limits). */
  readonly redisPrefix: string;
  /** Namespace of the read side's availability view in Redis. */
  readonly availabilityNamespace: string;
  readonly handlerGroup: string;
}

export const namespaceOf = (name: string): Namespace =>
  name === ""
    ? {
        name,
        topics: commandTopics(),
        redisPrefix: "hf:",
        availabilityNamespace: "hf:",
        handlerGroup: "holdfast-command-handler",
      }
    : {
        name,
        topics: commandTopics(`.${name}`),
        redisPrefix: `hf:${name}:`,
        availabilityNamespace: `hf:${name}:`,
        handlerGroup: `holdfast-command-handler.${name}`,
      };
