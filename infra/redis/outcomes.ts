import * as E from "fp-ts/lib/Either.js";
import type { Redis } from "ioredis";
import { Outcome, OutcomeMessage } from "../../event-schemas/index.ts";

/**
 * Outcomes of queued commands in Redis: the key `<prefix>outcome:<requestId>` (kept `OUTCOME_TTL_S`)
 * and a message on the command's reply channel. The handler writes both after its append; the write
 * API waits on its channel and falls back to the key (a reply can be missed, the key cannot).
 */
export const OUTCOME_TTL_S = 24 * 3600;

export const outcomeKey = (prefix: string, requestId: string) => `${prefix}outcome:${requestId}`;

/** Store every outcome and publish each reply channel's outcomes as ONE message: one round trip. */
export const publishOutcomes = async (
  redis: Redis,
  prefix: string,
  replies: ReadonlyArray<{ readonly outcome: Outcome; readonly replyTo: string | null }>,
): Promise<void> => {
  if (replies.length === 0) return;
  const pipe = redis.pipeline();
  const byChannel = new Map<string, Outcome[]>();
  for (const { outcome, replyTo } of replies) {
    pipe.set(
      outcomeKey(prefix, outcome.requestId),
      JSON.stringify(Outcome.encode(outcome)),
      "EX",
      OUTCOME_TTL_S,
    );
    if (replyTo !== null) {
      const list = byChannel.get(replyTo);
      if (list === undefined) byChannel.set(replyTo, [outcome]);
      else list.push(outcome);
    }
  }
  for (const [channel, outcomes] of byChannel) pipe.publish(channel, JSON.stringify({ outcomes }));
  const results = await pipe.exec();
  const failed = results?.find(([err]) => err !== null);
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
