import * as E from "fp-ts/lib/Either.js";
import {
  CompactRange,
  type IsoInstant,
  type Sha256Hex,
  signCheckpoint,
  type TreeHead,
  toHex,
} from "../../event-schemas/index.ts";
import type { EventStore, GlobalPosition, RecordedEvent } from "../../infra/event-store/port.ts";
import type { Logger } from "../../infra/observability/logger.ts";

export interface PublisherOptions {
  readonly store: EventStore;
  /** Put signed heads on `holdfast.sku-checkpoints.v1` (or anywhere: tests collect them). */
  readonly publish: (heads: ReadonlyArray<TreeHead>) => Promise<void>;
  /** The operator's Ed25519 private key (PEM) that signs every head. */
  readonly privatePem: string;
  /** Sign a stream's head after this many new events (default 1,000)… */
  readonly everyEvents?: number;
  /** …or this long after its last head when it has grown at all (default 5 s). */
  readonly everyMs?: number;
  readonly now?: () => Date;
  readonly logger?: Logger;
}

export interface RunningPublisher {
  /** Heads signed so far. */
  published(): number;
  /** Streams whose feed showed a broken chain: never signed again until restart. */
  broken(): ReadonlyArray<string>;
  stop(): Promise<void>;
}

interface StreamState {
  readonly range: CompactRange;
  tip: { revision: number; hash: string };
  grown: number;
  lastSignedMs: number;
}

/**
 * The checkpoint publisher: follows the global feed from the start, keeps each SKU stream's Merkle
 * tree as a compact range (O(log n) hashes per stream, one leaf hash per event) and signs a tree head
 * `{streamId, revision, hash, size, root, signedAt}` every `everyEvents` events or `everyMs` while the
 * stream grows. On start it replays the whole log (no state of its own to trust or lose) but signs
 * nothing until it has caught up with the head position it found, then one head per grown stream.
 *
 * It only ever signs what it folded itself, in revision order with every link checked: a stream whose
 * feed skips a revision or breaks a link is logged and never signed again (an operator's key must not
 * vouch for a broken chain).
 */
export const startCheckpointPublisher = async (opts: PublisherOptions): Promise<RunningPublisher> => {
  const everyEvents = opts.everyEvents ?? 1000;
  const everyMs = opts.everyMs ?? 5000;
  const now = opts.now ?? (() => new Date());
  const streams = new Map<string, StreamState>();
  const broken = new Set<string>();
  let published = 0;
  const start = await opts.store.headPosition()();
  if (E.isLeft(start)) throw new Error(`event store unavailable: ${JSON.stringify(start.left)}`);
  const catchUpTo: GlobalPosition | null = start.right;
  let caughtUp = catchUpTo === null;
  // One publish at a time, in order: heads of one stream must reach the topic oldest first.
  let chain: Promise<void> = Promise.resolve();

  const headOf = (streamId: string, s: StreamState): TreeHead | null => {
    const signed = signCheckpoint(
      {
        streamId,
        revision: s.tip.revision,
        hash: s.tip.hash as Sha256Hex,
        size: s.range.size,
        root: toHex(s.range.root()) as Sha256Hex,
        signedAt: now().toISOString() as IsoInstant,
      },
      opts.privatePem,
    );
    if (E.isLeft(signed)) {
      opts.logger?.error({ err: signed.left.message }, "checkpoint publisher: cannot sign");
      return null;
    }
    return signed.right as TreeHead;
  };

  const sign = (ids: ReadonlyArray<string>): Promise<void> => {
    const heads: TreeHead[] = [];
    for (const id of ids) {
      const s = streams.get(id);
      if (s === undefined || broken.has(id)) continue;
      const h = headOf(id, s);
      if (h === null) continue;
      heads.push(h);
      s.grown = 0;
      s.lastSignedMs = now().getTime();
    }
    if (heads.length === 0) return chain;
    chain = chain.then(async () => {
      try {
        await opts.publish(heads);
        published += heads.length;
      } catch (err) {
        // Not lost: the streams count as grown again, so the timer signs fresh heads for them.
        opts.logger?.warn({ err }, "checkpoint publisher: publish failed; retrying with the next head");
        for (const h of heads) {
          const s = streams.get(h.streamId);
          if (s !== undefined) s.grown = Math.max(s.grown, 1);
        }
      }
    });
    return chain;
  };

  const fold = (e: RecordedEvent): string | null => {
    const env = e.envelope;
    if (broken.has(env.streamId)) return null;
    let s = streams.get(env.streamId);
    const expected = s === undefined ? 0 : s.range.size;
    const link = s === undefined ? "0".repeat(64) : s.tip.hash;
    if (env.revision !== expected || env.prevHash !== link) {
      broken.add(env.streamId);
      opts.logger?.error(
        { streamId: env.streamId, revision: env.revision, expected },
        "checkpoint publisher: the feed shows a broken chain; this stream is no longer signed",
      );
      return null;
    }
    if (s === undefined) {
      s = {
        range: new CompactRange(),
        tip: { revision: -1, hash: "" },
        grown: 0,
        lastSignedMs: now().getTime(),
      };
      streams.set(env.streamId, s);
    }
    s.range.appendEventHash(env.hash);
    s.tip = { revision: env.revision, hash: env.hash };
    s.grown += 1;
    return s.grown >= everyEvents ? env.streamId : null;
  };

  const subscription = opts.store.subscribe({ after: null, batchSize: 1000 }, async (batch) => {
    const due = new Set<string>();
    for (const e of batch) {
      const id = fold(e);
      if (id !== null && caughtUp) due.add(id);
    }
    const last = batch[batch.length - 1];
    if (!caughtUp && last !== undefined && catchUpTo !== null && last.position >= catchUpTo) {
      caughtUp = true;
      for (const [id, s] of streams) if (s.grown > 0) due.add(id);
    }
    if (due.size > 0) await sign([...due]);
  });

  const timer = setInterval(
    () => {
      if (!caughtUp) return;
      const t = now().getTime();
      const due = [...streams]
        .filter(([, s]) => s.grown > 0 && t - s.lastSignedMs >= everyMs)
        .map(([id]) => id);
      if (due.length > 0) void sign(due);
    },
    Math.max(50, Math.min(everyMs, 1000)),
  );
  timer.unref();

  return {
    published: () => published,
    broken: () => [...broken],
    stop: async () => {
      clearInterval(timer);
      await subscription.stop();
      await chain;
    },
  };
};
