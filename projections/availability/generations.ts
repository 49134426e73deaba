import type { Redis } from "ioredis";
import { availabilityKeys, evalScript, luaScript } from "../../infra/redis/availability.ts";
import { liveAvailabilityGeneration } from "./redis.ts";

/** A fresh generation id beside the live one (the live one is created first if there is none). */
export const createAvailabilityGeneration = async (redis: Redis, namespace: string): Promise<string> => {
  await liveAvailabilityGeneration(redis, namespace);
  const gen = String(await redis.incr(`${namespace}av:generation-seq`));
  await redis.del(availabilityKeys(namespace).checkpoint(gen));
  return gen;
};

// KEYS[1] pointer, KEYS[2] candidate checkpoint; ARGV[1] candidate generation, ARGV[2] key base "{ns}av:".
// Atomic: compare the candidate's checkpoint with the live generation's and move the pointer in one
// script, so no live batch can land in between.
const SWAP = luaScript(`
local live = redis.call('GET', KEYS[1])
local cand = tonumber(redis.call('GET', KEYS[2]) or '-1')
if live then
  local liveCp = tonumber(redis.call('GET', ARGV[2] .. live .. ':checkpoint') or '-1')
  if cand < liveCp then return {'behind', live} end
end
redis.call('SET', KEYS[1], ARGV[1])
return {'swapped', live or ''}
`);

/**
 * Swap the pointer to `gen` once it has caught up, then delete the old generation's keys (SCAN + UNLINK
 * in chunks: readers already follow the pointer to the new generation). Checkpoints are compared as
 * numbers inside Lua (doubles): exact for the in-memory store's positions and for PostgreSQL positions
 * below 2^53; beyond that the comparison may be off by the last bits, which only matters within one
 * transaction's events and is then repaired by the live projector's revision guard.
 */
export const swapAvailabilityGeneration = async (
  redis: Redis,
  namespace: string,
  gen: string,
): Promise<{ readonly _tag: "Swapped"; readonly previous: string | null } | { readonly _tag: "Behind" }> => {
  const keys = availabilityKeys(namespace);
  const r = (await evalScript(
    redis,
    SWAP,
    [keys.pointer, keys.checkpoint(gen)],
    [gen, `${namespace}av:`],
  )) as [string, string];
  if (r[0] === "behind") return { _tag: "Behind" };
  const previous = r[1] === "" ? null : r[1];
  if (previous !== null) await dropAvailabilityGeneration(redis, namespace, previous);
  return { _tag: "Swapped", previous };
};

export const dropAvailabilityGeneration = async (
  redis: Redis,
  namespace: string,
  gen: string,
): Promise<void> => {
  const prefix = availabilityKeys(namespace).generationPrefix(gen);
  let cursor = "0";
  do {
    const [nextCursor, found] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 2000);
    cursor = nextCursor;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== "0");
};
