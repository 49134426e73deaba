import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** Delete every key starting with `prefix` (SCAN + UNLINK): how tests and benchmarks leave Redis clean. */
export const deleteKeysWithPrefix = async (redis: Redis, prefix: string): Promise<void> => {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
};

/** A Redis client for tests plus a namespace of its own, and a cleanup that deletes only that namespace. */
export const testRedis = () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 3 });
  const namespace = `hftest:${randomBytes(6).toString("hex")}:`;
  return {
    redis,
    namespace,
    cleanup: async () => {
      await deleteKeysWithPrefix(redis, namespace);
      redis.disconnect();
    },
  };
};
