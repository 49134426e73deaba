import type { Redis } from "ioredis";
import type { GlobalPosition } from "../../infra/event-store/port.ts";
import {
  availabilityKeys,
  DEFAULT_NAMESPACE,
  evalScript,
  luaScript,
} from "../../infra/redis/availability.ts";
import { type Projection, tryProjection } from "../runtime/projection.ts";
import { availabilityOps } from "./evolve.ts";
import { mergedBatchText, skuEventsOf } from "./fold.ts";

/** Both scripts' first step: a batch for a generation that is no longer live writes nothing (KEYS[1]
 * pointer, ARGV[2] the generation that must be live, "" for a rebuild, which checks nothing). */
const LIVE_GENERATION_GUARD = `if ARGV[2] ~= '' then
  local live = redis.call('GET', KEYS[1])
  if live ~= ARGV[2] then return 'superseded:' .. tostring(live) end
end
`;

/*
 * KEYS[1] pointer, KEYS[2] checkpoint of this generation.
 * ARGV[1] generation key prefix, ARGV[2] generation that must be live ("" = rebuild: no check, no publish),
 * ARGV[3] checkpoint position, ARGV[4] JSON batch [{s, r, o}], ARGV[5] channel prefix.
 * Data, revisions and checkpoint change in one script: Redis runs it atomically, so a crash leaves
 * either all of a batch or none of it. An event whose revision is not above the SKU's stored revision
 * is skipped, which makes re-delivery harmless.
 */
const APPLY = luaScript(`
${LIVE_GENERATION_GUARD}local batch = cjson.decode(ARGV[4])
local changed = {}
for _, e in ipairs(batch) do
  local skuKey = ARGV[1] .. 'sku:' .. e.s
  local cur = tonumber(redis.call('HGET', skuKey, 'revision') or '-1')
  if e.r > cur then
    for _, op in ipairs(e.o) do
      local kind = op[1]
      if kind == 'set' then
        redis.call('HSET', skuKey, op[2], op[3])
      elseif kind == 'incr' then
        redis.call('HINCRBY', skuKey, op[2], op[3])
      elseif kind == 'res' then
        local args = { ARGV[1] .. 'res:' .. op[2], 'skuId', e.s }
        for i = 3, #op do args[#args + 1] = op[i] end
        redis.call('HSET', unpack(args))
      end
    end
    redis.call('HSET', skuKey, 'revision', e.r)
    changed[e.s] = e.r
  end
end
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[2] ~= '' then
  for s, r in pairs(changed) do redis.call('PUBLISH', ARGV[5] .. s, r) end
end
return 'ok'
`);

/*
 * The same, for a batch merged per SKU (fold.ts, `SkuGroup`): ARGV[4] is JSON [{s, r0, r1, o}]. A SKU whose stored
 * revision lies inside [r0, r1) was applied in part before (a batch re-delivered with more events after
 * it): then nothing is written and 'split' is returned, and the caller falls back to APPLY, which
 * guards event by event. The guards are all checked before the first write.
 */
const APPLY_MERGED = luaScript(`
${LIVE_GENERATION_GUARD}local groups = cjson.decode(ARGV[4])
local todo = {}
for _, g in ipairs(groups) do
  local cur = tonumber(redis.call('HGET', ARGV[1] .. 'sku:' .. g.s, 'revision') or '-1')
  if cur >= g.r0 and cur < g.r1 then return 'split' end
  if cur < g.r0 then todo[#todo + 1] = g end
end
for _, g in ipairs(todo) do
  local skuKey = ARGV[1] .. 'sku:' .. g.s
  local sets = {}
  for _, op in ipairs(g.o) do
    local kind = op[1]
    if kind == 'set' then
      sets[#sets + 1] = op[2]
      sets[#sets + 1] = op[3]
    elseif kind == 'incr' then
      redis.call('HINCRBY', skuKey, op[2], op[3])
    elseif kind == 'res' then
      local args = { ARGV[1] .. 'res:' .. op[2], 'skuId', g.s }
      for i = 3, #op do args[#args + 1] = op[i] end
      redis.call('HSET', unpack(args))
    end
  end
  sets[#sets + 1] = 'revision'
  sets[#sets + 1] = g.r1
  redis.call('HSET', skuKey, unpack(sets))
end
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[2] ~= '' then
  for _, g in ipairs(todo) do redis.call('PUBLISH', ARGV[5] .. g.s, g.r1) end
end
return 'ok'
`);

/** Run an apply script for generation `g` (`live`: check that it is live, and publish). */
const applyScript = (
  redis: Redis,
  ns: string,
  g: string,
  live: boolean,
  script: typeof APPLY,
  position: GlobalPosition,
  batchText: string,
) => {
  const keys = availabilityKeys(ns);
  return evalScript(
    redis,
    script,
    [keys.pointer, keys.checkpoint(g)],
    [keys.generationPrefix(g), live ? g : "", position.toString(), batchText, keys.channel("")],
  );
};

/**
 * A rebuild's batch (a generation that is not live yet) applied from its merged batch text
 * (`mergedBatchText`, computed elsewhere, e.g. on a worker thread); `false` when it was not: a batch
 * applied in part before (the script answers `split`) or Redis failing, which the caller then applies
 * the usual way (`applyBatch`, with its per-event fallback and the runtime's retries).
 */
export const applyMergedRebuildBatch = async (
  redis: Redis,
  opts: { readonly namespace: string; readonly generation: string },
  batchText: string,
  position: GlobalPosition,
): Promise<boolean> => {
  try {
    const out = await applyScript(
      redis,
      opts.namespace,
      opts.generation,
      false,
      APPLY_MERGED,
      position,
      batchText,
    );
    return out === "ok";
  } catch {
    return false;
  }
};

export interface AvailabilityProjectionOptions {
  readonly namespace?: string;
  /** A fixed generation (rebuilds); default: the live one behind the pointer, created on first use. */
  readonly generation?: string;
}

/** The live generation, creating generation 1 on an empty namespace. */
export const liveAvailabilityGeneration = async (redis: Redis, namespace: string): Promise<string> => {
  const keys = availabilityKeys(namespace);
  const live = await redis.get(keys.pointer);
  if (live !== null) return live;
  const next = String(await redis.incr(`${namespace}av:generation-seq`));
  await redis.set(keys.pointer, next, "NX");
  return (await redis.get(keys.pointer)) as string;
};

/** The Redis availability projection (see infra/redis/availability.ts for the key layout). */
export const availabilityProjection = (
  redis: Redis,
  opts: AvailabilityProjectionOptions = {},
): Projection => {
  const ns = opts.namespace ?? DEFAULT_NAMESPACE;
  const keys = availabilityKeys(ns);
  const live = opts.generation === undefined;
  let gen: string | null = opts.generation ?? null;
  const generation = () =>
    tryProjection(async () => {
      gen = live ? await liveAvailabilityGeneration(redis, ns) : (gen as string);
      return gen;
    });
  return {
    name: live ? "availability" : `availability@${gen}`,
    generation,
    readCheckpoint: () =>
      tryProjection(async () => {
        const g = gen ?? (live ? await liveAvailabilityGeneration(redis, ns) : "");
        gen = g;
        const cp = await redis.get(keys.checkpoint(g));
        return cp === null ? null : BigInt(cp);
      }),
    applyBatch: (events, position: GlobalPosition) => async () => {
      const g = gen ?? (live ? await liveAvailabilityGeneration(redis, ns) : "");
      gen = g;
      const apply = (script: typeof APPLY, batchText: string) =>
        tryProjection(() => applyScript(redis, ns, g, live, script, position, batchText))();
      let r = await apply(APPLY_MERGED, mergedBatchText(events));
      if (r._tag === "Right" && r.right === "split") {
        const skuEvents = skuEventsOf(events);
        r = await apply(
          APPLY,
          JSON.stringify(skuEvents.map((e) => ({ s: e.s, r: e.r, o: availabilityOps(e.event, e.r) }))),
        );
      }
      if (r._tag === "Left") return r;
      const out = String(r.right);
      if (out.startsWith("superseded:")) {
        gen = null;
        return {
          _tag: "Left",
          left: { _tag: "GenerationSuperseded", generation: out.slice("superseded:".length) },
        };
      }
      return { _tag: "Right", right: undefined };
    },
  };
};
