import { Kafka, type LogEntry, logLevel } from "kafkajs";
import type { Config } from "../config/config.ts";
import type { Logger } from "../observability/logger.ts";
import { stopKafkaIdleTimerLoop } from "./request-queue-idle.ts";

export type { Kafka };

/** kafkajs log entries into our pino logger (warn and above; kafkajs is chatty at info). */
const pinoLogCreator = (logger: Logger) => () => (entry: LogEntry) => {
  const { message, ...rest } = entry.log;
  const fields = { kafka: entry.namespace, ...rest };
  if (entry.level <= logLevel.ERROR) logger.error(fields, message);
  else logger.warn(fields, message);
};

/**
 * A kafkajs client from the decoded config. Clients are cheap; producers, consumers and admins made
 * from it each hold their own connections and must be disconnected by whoever made them.
 */
export const makeKafka = (
  config: Pick<Config, "kafkaBrokers">,
  opts: { readonly clientId: string; readonly logger?: Logger },
): Kafka => {
  stopKafkaIdleTimerLoop();
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...config.kafkaBrokers],
    connectionTimeout: 3000,
    requestTimeout: 30000,
    // Retry steps capped at 1 s (kafkajs's default ceiling is 30 s): once a broker is back, producers
    // and admins find it within a second; the write path bounds its own waits (write-api/admission.ts).
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 8 },
    logLevel: logLevel.WARN,
    ...(opts.logger === undefined ? {} : { logCreator: pinoLogCreator(opts.logger) }),
  });
};

/** Readiness probe for a Kafka cluster: `null` when the brokers list the cluster. */
export const kafkaReady = (kafka: Kafka) => async (): Promise<string | null> => {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 ? null : "no brokers";
  } finally {
    await admin.disconnect();
  }
};
