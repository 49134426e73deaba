import { createHash } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Redis } from "ioredis";
import type { ProductQuery, ProductSearch, SearchError, SearchResult } from "./search-port.ts";

/**
 * The search result cache (issue 14 item 2), shared by every read-API process through Redis.
 *
 * Keys (`ns` = the Redis namespace of the read side, "hf:" in production):
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `{ns}search:version` | string | a counter the products projection increments when a batch changes what a search can return (a listing, a name, a price, tags, in-stock) |
 * | `{ns}search:r:{version}:{query hash}` | string | the result JSON of one normalised query at that version, with a TTL |
 *
 * Versioned, not deleted: bumping the counter makes every older entry unreachable at once (they expire by
 * TTL). Availability counts changing is not a bump: the page's availability is read live per item. The
 * index becomes searchable up to a refresh interval after the write, so the projection bumps again once
 * that has passed (`searchVersionBumper`); the TTL bounds staleness if a bump is ever lost.
 */
export const searchCacheKeys = (ns: string) => ({
  version: `${ns}search:version`,
  entry: (version: string, hash: string) => `${ns}search:r:${version}:${hash}`,
  entryBase: `${ns}search:r:`,
});

/** Lower case, NFKC, single spaces: queries that must return the same page map to one key. */
export const normaliseText = (q: string): string =>
  q.normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ");

/** The query as the cache keys it (and as it is sent to the index, so the key determines the answer). */
export const normaliseQuery = (q: ProductQuery): ProductQuery => {
  const text = q.q === undefined ? "" : normaliseText(q.q);
  const { q: _drop, ...rest } = q;
  return text === "" ? rest : { ...rest, q: text };
};

const hashOf = (q: ProductQuery): string =>
  createHash("sha1")
    .update(
      JSON.stringify([
        q.q ?? null,
        q.inStock ?? null,
        q.minPriceCents ?? null,
        q.maxPriceCents ?? null,
        q.tag ?? null,
        q.page,
        q.size,
      ]),
    )
    .digest("base64url");

export interface SearchCacheOptions {
  readonly redis: Redis;
  readonly namespace: string;
  /** Upper bound on an entry's life whatever the version says (default 30 s). */
  readonly ttlSeconds?: number;
  /** Parsed entries of the current version kept in this process too (default 5,000). */
  readonly localEntries?: number;
  /** How long a process trusts the version it read (default 100 ms). */
  readonly versionLeaseMs?: number;
}

/**
 * `inner` behind the cache: read the version (one small Redis GET), look the normalised query up in
 * this process's parsed copy of the version's entries, then in Redis; on a miss ask `inner` once for all
 * identical queries in flight in this process, and store the answer under the version read before asking
 * (a bump meanwhile leaves it unreachable, never wrong). If Redis fails, search goes on uncached.
 * `result.cache` says how each answer was made.
 */
export const cachedProductSearch = (inner: ProductSearch, opts: SearchCacheOptions): ProductSearch => {
  const keys = searchCacheKeys(opts.namespace);
  const ttl = opts.ttlSeconds ?? 30;
  const inflight = new Map<string, Promise<E.Either<SearchError, SearchResult>>>();

  const maxLocal = opts.localEntries ?? 5_000;
  let localVersion: string | null = null;
  // Entries here live no longer than in Redis (the TTL bounds staleness should a bump be lost).
  const local = new Map<string, { readonly r: SearchResult; readonly until: number }>();
  const remember = (version: string, hash: string, r: SearchResult) => {
    if (version !== localVersion) {
      local.clear();
      localVersion = version;
    }
    if (local.size >= maxLocal) local.delete(local.keys().next().value as string);
    local.set(hash, { r, until: Date.now() + ttl * 1000 });
  };

  const search =
    (raw: ProductQuery, o?: { readonly fresh?: boolean }): TE.TaskEither<SearchError, SearchResult> =>
    async () => {
      const q = normaliseQuery(raw);
      if (o?.fresh === true) return inner.search(q)();
      const hash = hashOf(q);
      let version: string | null = null;
      try {
        version = (await opts.redis.get(keys.version)) ?? "0";
        const mine = version === localVersion ? local.get(hash) : undefined;
        if (mine !== undefined && mine.until > Date.now())
          return E.right({ ...mine.r, cache: "hit" as const });
        const hit = await opts.redis.get(keys.entry(version, hash));
        if (hit !== null) {
          const r = JSON.parse(hit) as SearchResult;
          remember(version, hash, r);
          return E.right({ ...r, cache: "hit" as const });
        }
      } catch {
        version = null;
      }
      const key = `${version ?? "-"}:${hash}`;
      const running = inflight.get(key);
      if (running !== undefined) {
        const r = await running;
        return E.isRight(r) ? E.right({ ...r.right, cache: "shared" as const }) : r;
      }
      const p = inner
        .search(q)()
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
      const r = await p;
      if (E.isLeft(r)) return r;
      const { cache: _c, ...stored } = r.right;
      if (version !== null) {
        remember(version, hash, stored);
        await opts.redis.set(keys.entry(version, hash), JSON.stringify(stored), "EX", ttl).catch(() => {});
      }
      return E.right({ ...stored, cache: "miss" as const });
    };

  return { search, revisionOf: inner.revisionOf };
};

/**
 * What the products projection calls when a batch changed something a search can return: bump the
 * version now, and once more after `refreshMs` (the index's refresh interval, plus a margin), when the
 * change has become searchable. Bumps within that window share the second one.
 */
export const searchVersionBumper = (opts: {
  readonly redis: Redis;
  readonly namespace: string;
  readonly refreshMs?: number;
}) => {
  const keys = searchCacheKeys(opts.namespace);
  let later: NodeJS.Timeout | null = null;
  return async (): Promise<void> => {
    await opts.redis.incr(keys.version);
    if (later !== null) return;
    later = setTimeout(() => {
      later = null;
      void opts.redis.incr(keys.version).catch(() => {});
    }, opts.refreshMs ?? 1_200);
    later.unref();
  };
};
