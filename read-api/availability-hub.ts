import type { Redis } from "ioredis";
import { type Availability, availabilityKeys, readAvailability } from "../infra/redis/availability.ts";

export type AvailabilityListener = (a: Availability) => void;

/**
 * Live availability for the SSE stream. One Redis subscriber connection per process (pattern
 * subscription to every SKU's change channel); for each SKU somebody watches, a change notification
 * triggers ONE read that is fanned out to every watcher, however many there are. A one-second tick per
 * watched SKU re-reads too, because the status also changes with the clock (a scheduled sale opens)
 * without any event; watchers are told only when the object actually changed.
 */
export interface AvailabilityHub {
  watch(skuId: string, listener: AvailabilityListener): () => void;
  close(): Promise<void>;
}

export const makeAvailabilityHub = (deps: {
  readonly redis: Redis;
  /** A dedicated connection: in subscribe mode it can run nothing else. */
  readonly subscriber: Redis;
  readonly namespace: string;
  readonly tickMs?: number;
}): AvailabilityHub => {
  const keys = availabilityKeys(deps.namespace);
  const watched = new Map<
    string,
    { listeners: Set<AvailabilityListener>; last: string; timer: NodeJS.Timeout }
  >();
  const prefix = keys.channel("");
  let subscribed: Promise<unknown> | null = null;

  const refresh = async (skuId: string) => {
    const w = watched.get(skuId);
    if (w === undefined) return;
    const a = await readAvailability(deps.redis, skuId, { namespace: deps.namespace }).catch(() => null);
    if (a === null) return;
    const text = JSON.stringify(a);
    if (text === w.last) return;
    w.last = text;
    for (const l of w.listeners) l(a);
  };

  deps.subscriber.on("pmessage", (_pattern: string, channel: string) => {
    if (channel.startsWith(prefix)) void refresh(channel.slice(prefix.length));
  });

  return {
    watch: (skuId, listener) => {
      // A failed subscribe leaves watchers on the 1 s tick only; the next watch retries.
      subscribed ??= deps.subscriber.psubscribe(keys.channelPattern).catch(() => {
        subscribed = null;
      });
      let w = watched.get(skuId);
      if (w === undefined) {
        const timer = setInterval(() => void refresh(skuId), deps.tickMs ?? 1000);
        timer.unref();
        w = { listeners: new Set(), last: "", timer };
        watched.set(skuId, w);
      }
      w.listeners.add(listener);
      return () => {
        const cur = watched.get(skuId);
        if (cur === undefined) return;
        cur.listeners.delete(listener);
        if (cur.listeners.size === 0) {
          clearInterval(cur.timer);
          watched.delete(skuId);
        }
      };
    },
    close: async () => {
      for (const w of watched.values()) clearInterval(w.timer);
      watched.clear();
      if (subscribed !== null) await deps.subscriber.punsubscribe(keys.channelPattern).catch(() => {});
    },
  };
};
