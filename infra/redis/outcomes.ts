import * as E from "fp-ts/lib/Either.js";
import type { Redis } from "ioredis";
import { Outcome, OutcomeMessage } from "../../event-schemas/index.ts";
import { luaScript } from "./availability.ts";

/**
 * Outcomes of queued commands in Redis: the key `<prefix>outcome:<requestId>` (kept `OUTCOME_TTL_S`)
 * and a message on the command's reply channel. The handler writes both after its append; the write
 * API waits on its channel and falls back to the key (a reply can be missed, the key cannot).
 */
export const OUTCOME_TTL_S = 24 * 3600;

export const outcomeKey = (prefix: string, requestId: string) => `${prefix}outcome:${requestId}`;

// KEYS = outcome keys; ARGV[1] = TTL in seconds, ARGV[i + 1] = the outcome text of KEYS[i].
const STORE_OUTCOMES = luaScript(`
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[1]) end
return #KEYS
`);

/** Outcomes stored per script call: bounds one command's argument list under a very large chunk. */
const OUTCOMES_PER_CALL = 2000;

/**
 * Store every outcome and publish each reply channel's outcomes as ONE message: one round trip. Each
 * outcome is serialised once; the same text is stored and embedded in its channel's message. `Outcome`'s
 * codec encodes as the identity (plain `t.type`s, literals and brands, no custom `encode`), so the JSON of
 * the value is its encoding. The keys are set by one script call per 2,000 outcomes rather than one SET
 * each: the client's cost is per command, the server's the same either way.
 */
export const publishOutcomes = async (
  redis: Redis,
  prefix: string,
  replies: ReadonlyArray<{ readonly outcome: Outcome; readonly replyTo: string | null }>,
): Promise<void> => {
  if (replies.length === 0) return;
  const pipe = redis.pipeline();
  const byChannel = new Map<string, string[]>();
  const calls: string[][] = [];
  let call: string[] = [];
  for (const { outcome, replyTo } of replies) {
    const text = JSON.stringify(outcome);
    call.push(outcomeKey(prefix, outcome.requestId), text);
    if (call.length === 2 * OUTCOMES_PER_CALL) {
      calls.push(call);
      call = [];
    }
    if (replyTo !== null) {
      const list = byChannel.get(replyTo);
      if (list === undefined) byChannel.set(replyTo, [text]);
      else list.push(text);
    }
  }
  if (call.length > 0) calls.push(call);
  const storeArgs = (c: string[]): string[] => {
    const n = c.length / 2;
    const keys = new Array<string>(n);
    const args = new Array<string>(n + 1);
    args[0] = String(OUTCOME_TTL_S);
    for (let i = 0; i < n; i++) {
      keys[i] = c[2 * i]!;
      args[i + 1] = c[2 * i + 1]!;
    }
    return [String(n), ...keys, ...args];
  };
  const stores = calls.map(storeArgs);
  for (const a of stores) pipe.evalsha(STORE_OUTCOMES.sha, ...(a as [string]));
  for (const [channel, texts] of byChannel) pipe.publish(channel, `{"outcomes":[${texts.join(",")}]}`);
  const results = (await pipe.exec()) ?? [];
  const failed = results.find(([err]) => err !== null);
  if (failed === undefined) return;
  if (!results.some(([err]) => err instanceof Error && err.message.startsWith("NOSCRIPT"))) throw failed[0];
  // First use on this server (or after SCRIPT FLUSH): the messages went out; store the keys again.
  for (const a of stores) await redis.eval(STORE_OUTCOMES.source, ...(a as [string]));
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

/** The recorded outcome of a request, or `null` when none is recorded (pending, unknown or expired). */
export const readOutcome = async (redis: Redis, prefix: string, requestId: string): Promise<Outcome | null> =>
  decodeJson(Outcome, await redis.get(outcomeKey(prefix, requestId)));

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
