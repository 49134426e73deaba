import { Redis } from "ioredis";
import type { Config } from "../config/config.ts";

export type { Redis };

/**
 * A Redis client from the decoded config. `autoPipelining` batches every command issued in the same
 * tick into one round trip: what the write path wants under load. A subscriber connection must be a
 * separate client (`subscriber: true`), since a connection in subscribe mode runs no other command.
 */
export const makeRedis = (
  config: Pick<Config, "redisUrl">,
  opts: {
    readonly autoPipelining?: boolean;
    readonly name?: string;
    readonly subscriber?: boolean;
    /** `false`: commands fail at once while disconnected instead of queueing until Redis is back. */
    readonly offlineQueue?: boolean;
  } = {},
): Redis =>
  new Redis(config.redisUrl, {
    enableAutoPipelining: opts.autoPipelining ?? opts.subscriber !== true,
    maxRetriesPerRequest: 3,
    // Reconnect at least every 500 ms while Redis is away (ioredis's default backs off to 2 s), so the
    // write path is back within half a second of Redis being healthy again.
    retryStrategy: (times: number) => Math.min(times * 50, 500),
    lazyConnect: false,
    enableOfflineQueue: opts.offlineQueue ?? true,
    ...(opts.name === undefined ? {} : { connectionName: opts.name }),
  });

/** Readiness probe for a Redis client: `null` when PING answers. */
export const redisReady = (redis: Redis) => async (): Promise<string | null> => {
  const pong = await redis.ping();
  return pong === "PONG" ? null : `unexpected PING answer ${pong}`;
};
