import * as TE from "fp-ts/lib/TaskEither.js";
import type { Redis } from "ioredis";
import {
  type Availability,
  availabilityFromHash,
  availabilityKeys,
  readSkuHash,
} from "../infra/redis/availability.ts";
import { messageOf } from "../infra/errors/message-of.ts";

/** One SKU's availability as the read API serves it: the object, its JSON text and its ETag, made once. */
export interface CachedAvailability {
  readonly availability: Availability;
  readonly body: string;
  /** `"<revision>"` (API.md: ETag = revision). */
  readonly etag: string;
  /**
   * Whether a 304 on this ETag is safe: the SKU's status cannot have been different at the same revision
   * (no sale window that the clock could have crossed since: a scheduled sale opens, an open one ends,
   * without a new revision).
   */
  readonly revalidatable: boolean;
}

export type AvailabilityListener = (a: CachedAvailability) => void;

/**
 * The availability of every SKU this process has been asked about, kept in memory (issue 14 item 1).
 *
 * Freshness: the projector publishes each SKU's new revision on `{ns}av:changes:{skuId}` after every
 * batch; one subscriber connection per process hears every change and re-reads the SKU at once (one read
 * per change, shared by every request and SSE watcher). Pub/sub can lose messages (a reconnect), so a copy
 * is served from memory only while it is younger than `maxStaleMs` (measured from the start of the read
 * that made it) AND the subscription has been up since before that read; a sale window boundary (the
 * status changes by the clock) ends a copy's life too. Past that, or while the subscriber is down, a
 * request waits for a read of Redis (the fallback), shared with concurrent requests for the same SKU.
 *
 * Bounded: at most `maxEntries` SKUs (oldest first out, never one being watched), so asking about
 * random SKU ids cannot grow the process.
 */
/** The Redis view could not be read (HTTP 503, `infra/http/problem.ts`). */
export interface AvailabilityError {
  readonly _tag: "AvailabilityUnavailable";
  readonly message: string;
}
const unavailable = (e: unknown): AvailabilityError => ({
  _tag: "AvailabilityUnavailable",
  message: messageOf(e),
});

export interface AvailabilityCache {
  /**
   * The copy if it is fresh (`null` = fresh knowledge that the SKU is unknown), `undefined` otherwise.
   * `maxStaleMs` may widen the bound for answers that are approximate anyway (the items of a search).
   */
  peek(skuId: string, maxStaleMs?: number): CachedAvailability | null | undefined;
  /** The fresh copy, reading Redis first when needed; Left when Redis cannot be read. */
  get(skuId: string): TE.TaskEither<AvailabilityError, CachedAvailability | null>;
  /** A copy read from Redis after this call (read-your-writes); concurrent callers share one read. */
  refresh(skuId: string): TE.TaskEither<AvailabilityError, CachedAvailability | null>;
  /** Called with each new version of the SKU's availability (revision or status changed). */
  watch(skuId: string, listener: AvailabilityListener): () => void;
  /** How many SKUs the copy holds. */
  size(): number;
  close(): Promise<void>;
}

interface Entry {
  value: CachedAvailability | null;
  /** Start time of the read that produced `value` (`-1` = none yet). */
  readAt: number;
  freshUntil: number;
  /** The next sale-window boundary after the read (the status changes by itself then). */
  boundary: number;
  inflight: { readonly startedAt: number; readonly done: Promise<void> } | null;
  queued: Promise<void> | null;
  /** Change notifications heard so far: a read that started before the last one must be repeated. */
  changes: number;
  listeners: Set<AvailabilityListener>;
  timer: NodeJS.Timeout | null;
}

export interface AvailabilityCacheOptions {
  readonly redis: Redis;
  /** A dedicated connection: in subscribe mode it can run nothing else. */
  readonly subscriber: Redis;
  readonly namespace: string;
  /** Longest a copy is served without a read of Redis, whatever pub/sub says (default 500 ms). */
  readonly maxStaleMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

const nextBoundary = (h: Record<string, string>, nowMs: number): number => {
  let next = Number.POSITIVE_INFINITY;
  for (const at of [h.saleStartsAt, h.saleEndsAt]) {
    const t = at === undefined || at === "" ? Number.NaN : Date.parse(at);
    if (t > nowMs && t < next) next = t;
  }
  return next;
};

const toCached = (skuId: string, h: Record<string, string> | null, nowMs: number) => {
  const availability = availabilityFromHash(skuId, h, nowMs);
  if (availability === null || h === null) return null;
  const ends = h.saleEndsAt ?? "";
  const windowed = (h.saleStartsAt ?? "") !== "" || ends !== "";
  const endedForGood = h.closed === "1" || (ends !== "" && nowMs >= Date.parse(ends));
  return {
    availability,
    body: JSON.stringify(availability),
    etag: `"${availability.revision}"`,
    revalidatable: !windowed || endedForGood,
  };
};

export const makeAvailabilityCache = (opts: AvailabilityCacheOptions): AvailabilityCache => {
  const keys = availabilityKeys(opts.namespace);
  const now = opts.now ?? Date.now;
  const maxStaleMs = opts.maxStaleMs ?? 500;
  const maxEntries = opts.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  const prefix = keys.channel("");
  // Time since which the subscription has been listening without a break; `null` while it is not.
  let listeningSince: number | null = null;
  let subscribed: Promise<unknown> | null = null;
  let closed = false;

  const subscribe = () => {
    subscribed ??= opts.subscriber.psubscribe(keys.channelPattern).then(
      () => {
        listeningSince = now();
      },
      () => {
        subscribed = null;
      },
    );
  };
  // ioredis re-subscribes after a reconnect; messages published meanwhile are lost, so every copy read
  // before the break is no longer trusted.
  const onDown = () => {
    listeningSince = null;
  };
  const onReady = () => {
    if (subscribed !== null && !closed) {
      subscribed = null;
      subscribe();
    }
  };
  opts.subscriber.on("close", onDown);
  opts.subscriber.on("reconnecting", onDown);
  opts.subscriber.on("ready", onReady);

  const entry = (skuId: string): Entry => {
    let e = entries.get(skuId);
    if (e !== undefined) return e;
    subscribe();
    e = {
      value: null,
      readAt: -1,
      freshUntil: 0,
      boundary: 0,
      inflight: null,
      queued: null,
      changes: 0,
      listeners: new Set(),
      timer: null,
    };
    entries.set(skuId, e);
    if (entries.size > maxEntries)
      for (const [k, old] of entries) {
        if (entries.size <= maxEntries) break;
        if (old.listeners.size === 0 && old.inflight === null && k !== skuId) entries.delete(k);
      }
    return e;
  };

  const isFresh = (e: Entry, t: number, widerMs?: number) =>
    e.readAt >= 0 &&
    (t < e.freshUntil || (widerMs !== undefined && t < e.readAt + widerMs && t < e.boundary)) &&
    listeningSince !== null &&
    listeningSince <= e.readAt;

  const apply = (skuId: string, e: Entry, h: Record<string, string> | null, startedAt: number) => {
    // Reads can complete out of order; the one that started last wins.
    if (startedAt < e.readAt) return;
    const t = now();
    const next = toCached(skuId, h, t);
    const before = e.value;
    e.value = next;
    e.readAt = startedAt;
    e.freshUntil = Math.min(
      startedAt + maxStaleMs,
      h === null ? Number.POSITIVE_INFINITY : nextBoundary(h, t),
    );
    if (next !== null && next.body !== before?.body) for (const l of e.listeners) l(next);
  };

  const startRead = (skuId: string, e: Entry): Promise<void> => {
    const startedAt = now();
    const changesBefore = e.changes;
    const done = readSkuHash(opts.redis, skuId, { namespace: opts.namespace }).then(
      (h) => {
        e.inflight = null;
        apply(skuId, e, h, startedAt);
        // A change heard while this read ran may not be in it.
        if (e.changes !== changesBefore && e.queued === null) void freshRead(skuId, e).catch(() => {});
      },
      (err: unknown) => {
        e.inflight = null;
        throw err;
      },
    );
    e.inflight = { startedAt, done };
    return done;
  };

  /** A read that starts no earlier than now: the one in flight if it started now, else the next one. */
  const freshRead = (skuId: string, e: Entry): Promise<void> => {
    const t = now();
    if (e.inflight === null) return startRead(skuId, e);
    if (e.inflight.startedAt >= t) return e.inflight.done;
    e.queued ??= e.inflight.done
      .catch(() => {})
      .then(() => {
        e.queued = null;
        return e.inflight?.startedAt !== undefined && e.inflight.startedAt >= t
          ? e.inflight.done
          : startRead(skuId, e);
      });
    return e.queued;
  };

  opts.subscriber.on("pmessage", (_pattern: string, channel: string, message: string) => {
    if (!channel.startsWith(prefix)) return;
    const skuId = channel.slice(prefix.length);
    const e = entries.get(skuId);
    if (e === undefined) return;
    if (e.value !== null && Number(message) <= e.value.availability.revision && e.inflight === null) return;
    e.changes += 1;
    if (e.inflight === null) void startRead(skuId, e).catch(() => {});
  });

  const get = async (skuId: string): Promise<CachedAvailability | null> => {
    const e = entry(skuId);
    if (isFresh(e, now())) return e.value;
    // Stale or unconfirmed: join a read in flight (it is at most a round trip old) or start one.
    await (e.inflight?.done ?? startRead(skuId, e));
    return e.value;
  };

  return {
    peek: (skuId, widerMs) => {
      const e = entries.get(skuId);
      return e !== undefined && isFresh(e, now(), widerMs) ? e.value : undefined;
    },
    get: (skuId) => TE.tryCatch(() => get(skuId), unavailable),
    refresh: (skuId) =>
      TE.tryCatch(async () => {
        const e = entry(skuId);
        await freshRead(skuId, e);
        return e.value;
      }, unavailable),
    watch: (skuId, listener) => {
      const e = entry(skuId);
      e.listeners.add(listener);
      // The staleness bound and the sale window hold for watchers too: re-read when the copy expires.
      e.timer ??= setInterval(
        () => {
          if (!isFresh(e, now()) && e.inflight === null) void startRead(skuId, e).catch(() => {});
        },
        Math.max(50, Math.floor(maxStaleMs / 2)),
      );
      e.timer.unref();
      return () => {
        e.listeners.delete(listener);
        if (e.listeners.size === 0 && e.timer !== null) {
          clearInterval(e.timer);
          e.timer = null;
        }
      };
    },
    size: () => entries.size,
    close: async () => {
      closed = true;
      for (const e of entries.values()) if (e.timer !== null) clearInterval(e.timer);
      entries.clear();
      opts.subscriber.off("close", onDown);
      opts.subscriber.off("reconnecting", onDown);
      opts.subscriber.off("ready", onReady);
      if (subscribed !== null) await opts.subscriber.punsubscribe(keys.channelPattern).catch(() => {});
    },
  };
};
