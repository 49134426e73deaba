import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Redis } from "ioredis";
import { Outcome, OutcomeMessage } from "../../event-schemas/index.ts";
import { luaScript } from "./availability.ts";
import { type EdgeView, edgeViewKey } from "./edge-availability.ts";
import { messageOf } from "../errors/message-of.ts";

/**
 * Outcomes of queued commands in Redis: the key `<prefix>outcome:<requestId>` (kept `OUTCOME_TTL_S`)
 * and a message on the command's reply channel. The handler writes both after its append; the write
 * API waits on its channel and falls back to the key (a reply can be missed, the key cannot).
 */
export const OUTCOME_TTL_S = 24 * 3600;

export const outcomeKey = (prefix: string, requestId: string) => `${prefix}outcome:${requestId}`;

// KEYS[1] = the SKU's edge-view key, KEYS[2..] = outcome keys. ARGV[1] = TTL (s); ARGV[2] = the view's
// revision ("" for none) and ARGV[3] its JSON; ARGV[4] = m, the number of reply messages, then m pairs
// (channel, message); then the outcome text of each outcome key, in order. In that order on purpose: the
// figures first (kept only if newer, see edge-availability.ts), then the keys, then the messages, all in
// one script, so no answer can reach a client before the figures it implies are stored.
const PUBLISH_CHUNK = luaScript(`
local ttl = ARGV[1]
if ARGV[2] ~= '' then
  local newer = true
  local cur = redis.call('GET', KEYS[1])
  if cur then
    local ok, c = pcall(cjson.decode, cur)
    if ok and type(c) == 'table' and tonumber(c.revision) and tonumber(c.revision) >= tonumber(ARGV[2]) then
      newer = false
    end
  end
  if newer then redis.call('SET', KEYS[1], ARGV[3]) end
end
local m = tonumber(ARGV[4])
local first = 5 + 2 * m
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[first + i - 2], 'EX', ttl) end
for j = 0, m - 1 do redis.call('PUBLISH', ARGV[5 + 2 * j], ARGV[6 + 2 * j]) end
return #KEYS - 1
`);

/** Outcomes per script call: bounds one command's argument list under a very large chunk. */
const OUTCOMES_PER_CALL = 2000;
const OUTCOMES_PER_MESSAGE = 100;

/**
 * Store every outcome and publish each reply channel's outcomes as ONE message: one round trip, one
 * script call per 2,000 outcomes (the client's cost is per command; the server's is the same either
 * way). With `view`, the SKU's fresh figures are stored first (see `edge-availability.ts`). Each outcome
 * is serialised once, and the same text is stored and embedded in its channel's message: `Outcome`'s
 * codec encodes as the identity (plain `t.type`s, literals and brands), so the JSON of the value is its
 * encoding.
 */
export const publishOutcomes =
  (
    redis: Redis,
    prefix: string,
    replies: ReadonlyArray<{ readonly outcome: Outcome; readonly replyTo: string | null }>,
    view: EdgeView | null = null,
  ): TE.TaskEither<OutcomeStoreError, void> =>
  () =>
    sendOutcomes(redis, prefix, replies, view).then(E.right, (e: unknown) =>
      E.left({ _tag: "OutcomeStoreUnavailable", message: messageOf(e) }),
    );

const sendOutcomes = async (
  redis: Redis,
  prefix: string,
  replies: ReadonlyArray<{ readonly outcome: Outcome; readonly replyTo: string | null }>,
  view: EdgeView | null,
): Promise<void> => {
  if (replies.length === 0 && view === null) return;
  const byChannel = new Map<string, string[]>();
  const keys: string[] = [];
  const texts: string[] = [];
  for (const { outcome, replyTo } of replies) {
    const text = JSON.stringify(outcome);
    keys.push(outcomeKey(prefix, outcome.requestId));
    texts.push(text);
    if (replyTo !== null) {
      const list = byChannel.get(replyTo);
      if (list === undefined) byChannel.set(replyTo, [text]);
      else list.push(text);
    }
  }
  // Messages of at most OUTCOMES_PER_MESSAGE outcomes: a waiting write API decodes each message in one
  // go, and a message of thousands would hold its event loop (and every other request's timers) too long.
  const messages: string[] = [];
  for (const [channel, list] of byChannel)
    for (let i = 0; i < list.length; i += OUTCOMES_PER_MESSAGE)
      messages.push(channel, `{"outcomes":[${list.slice(i, i + OUTCOMES_PER_MESSAGE).join(",")}]}`);
  const skuId = view?.skuId ?? replies[0]?.outcome.skuId ?? "";
  const calls: string[][] = [];
  for (let from = 0; from === 0 || from < keys.length; from += OUTCOMES_PER_CALL) {
    const isFirst = from === 0;
    const isLast = from + OUTCOMES_PER_CALL >= keys.length;
    const slice = keys.slice(from, from + OUTCOMES_PER_CALL);
    const m = isLast ? messages.length / 2 : 0;
    calls.push([
      String(slice.length + 1),
      edgeViewKey(prefix, skuId),
      ...slice,
      String(OUTCOME_TTL_S),
      isFirst && view !== null ? String(view.revision) : "",
      isFirst && view !== null ? JSON.stringify(view) : "",
      String(m),
      ...(isLast ? messages : []),
      ...texts.slice(from, from + OUTCOMES_PER_CALL),
    ]);
  }
  const run = async () => {
    const pipe = redis.pipeline();
    for (const args of calls) pipe.evalsha(PUBLISH_CHUNK.sha, ...(args as [string]));
    return (await pipe.exec()) ?? [];
  };
  let results = await run();
  if (results.some(([err]) => err instanceof Error && err.message.startsWith("NOSCRIPT"))) {
    // First use on this server (or after a restart): nothing ran. Load the script and send again.
    await redis.script("LOAD", PUBLISH_CHUNK.source);
    results = await run();
  }
  const failed = results.find(([err]) => err !== null);
  if (failed !== undefined) throw failed[0];
};

const decodeJson = <A>(
  codec: { decode: (u: unknown) => E.Either<unknown, A> },
  text: string | null,
): A | null => {
  if (text === null) return null;
  try {
    const r = codec.decode(JSON.parse(text));
    return E.isRight(r) ? r.right : null;
  } catch {
    return null;
  }
};

/** Redis did not answer a read of an outcome key, or a publication of outcomes. */
export interface OutcomeStoreError {
  readonly _tag: "OutcomeStoreUnavailable";
  readonly message: string;
}

/**
 * The recorded outcome of a request, `null` when none is recorded (pending, unknown or expired), or
 * `OutcomeStoreUnavailable` when Redis did not answer.
 */
export const readOutcome = async (
  redis: Redis,
  prefix: string,
  requestId: string,
): Promise<E.Either<OutcomeStoreError, Outcome | null>> => {
  try {
    return E.right(decodeJson(Outcome, await redis.get(outcomeKey(prefix, requestId))));
  } catch (e) {
    return E.left({ _tag: "OutcomeStoreUnavailable", message: messageOf(e) });
  }
};

/**
 * Waits for outcomes on ONE reply channel per process, multiplexed by requestId. `expect` must be called
 * before the command is enqueued, so a fast answer is never missed.
 */
export interface OutcomeWaiter {
  /** The channel to put in `QueuedCommand.replyTo`. */
  readonly replyTo: string;
  /** Resolves with the outcome, or `null` after `timeoutMs`. */
  expect(requestId: string, timeoutMs: number): Promise<Outcome | null>;
  close(): Promise<void>;
}

export const makeOutcomeWaiter = async (subscriber: Redis, channel: string): Promise<OutcomeWaiter> => {
  const pending = new Map<string, (o: Outcome | null) => void>();
  subscriber.on("message", (ch: string, text: string) => {
    if (ch !== channel) return;
    const msg = decodeJson(OutcomeMessage, text);
    if (msg === null) return;
    for (const o of msg.outcomes) pending.get(o.requestId)?.(o);
  });
  await subscriber.subscribe(channel);
  return {
    replyTo: channel,
    expect: (requestId, timeoutMs) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          resolve(null);
        }, timeoutMs);
        pending.set(requestId, (o) => {
          clearTimeout(timer);
          pending.delete(requestId);
          resolve(o);
        });
      }),
    close: async () => {
      for (const resolve of [...pending.values()]) resolve(null);
      await subscriber.unsubscribe(channel).catch(() => undefined);
      subscriber.disconnect();
    },
  };
};
