import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { GlobalPosition, RecordedEvent, StoreError, SubscribeOptions, Subscription } from "./port.ts";

/**
 * A wake-up signal with a version, so a wake that arrives while a reader is busy is never lost: the reader
 * remembers the version before it reads and waits only if nothing happened since.
 */
export class Waker {
  private version = 0;
  private readonly waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  wake(): void {
    this.version += 1;
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  /** Resolves on the next wake after `since` (at once if there was one), after `timeoutMs`, or on abort. */
  wait(since: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.version !== since || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener("abort", done);
      this.waiters.add(done);
    });
  }
}

export interface FeedSource {
  readAll(
    after: GlobalPosition | null,
    limit: number,
    streamPrefix?: string,
  ): TE.TaskEither<StoreError, ReadonlyArray<RecordedEvent>>;
  readonly waker: Waker;
  /** Longest wait without a wake before reading again (the polling fallback). */
  readonly pollIntervalMs: number;
  /** How long `StoreUnavailable` may last before the subscription gives up (its `done` rejects). */
  readonly giveUpAfterMs: number;
}

export class SubscriptionFailed extends Error {
  constructor(readonly error: StoreError) {
    super(
      `subscription failed: ${error._tag}: ${"message" in error ? error.message : JSON.stringify(error)}`,
    );
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Catch-up-then-live over `readAll`: read a batch after the cursor, hand it to `onBatch`, move the cursor;
 * when a read comes back short, wait for a wake (or the poll interval) and read again. Live and catch-up
 * are the same loop, so there is no hand-over where an event could be skipped or delivered twice.
 */
export const pollSubscription = (
  source: FeedSource,
  opts: SubscribeOptions,
  onBatch: (events: ReadonlyArray<RecordedEvent>) => Promise<void>,
): Subscription => {
  const batchSize = opts.batchSize ?? 500;
  const prefix = opts.streamPrefix ?? "sku-";
  const abort = new AbortController();
  let cursor = opts.after;
  const run = async () => {
    let failingSince: number | null = null;
    let backoff = 50;
    // The wake count is taken before each read, so a wake during the read is not missed.
    const read = (after: GlobalPosition | null) => ({
      seen: source.waker.current,
      page: source.readAll(after, batchSize, prefix)(),
    });
    let ahead: ReturnType<typeof read> | null = null;
    while (!abort.signal.aborted) {
      const { seen, page } = ahead ?? read(cursor);
      ahead = null;
      const r = await page;
      if (abort.signal.aborted) return;
      if (E.isLeft(r)) {
        if (r.left._tag !== "StoreUnavailable") throw new SubscriptionFailed(r.left);
        failingSince ??= Date.now();
        if (Date.now() - failingSince > source.giveUpAfterMs) throw new SubscriptionFailed(r.left);
        await sleep(backoff, abort.signal);
        backoff = Math.min(backoff * 2, 5_000);
        continue;
      }
      failingSince = null;
      backoff = 50;
      const batch = r.right;
      if (batch.length > 0) {
        const last = batch[batch.length - 1]!.position;
        // A full batch means catching up: the next one is read while this one is handled.
        const full = batch.length === batchSize;
        if (full) ahead = read(last);
        await onBatch(batch);
        cursor = last;
        if (full) continue;
      }
      await source.waker.wait(seen, source.pollIntervalMs, abort.signal);
    }
  };
  const done = run();
  // `stop()` must resolve even when `done` rejected; callers who care read `done`.
  const settled = done.then(
    () => undefined,
    () => undefined,
  );
  return {
    done,
    stop: async () => {
      abort.abort();
      await settled;
    },
  };
};

/**
 * The subscriptions an adapter has handed out, so its `close()` can stop every one still running.
 * Each is a `pollSubscription` over the adapter's feed; it leaves the set when it ends.
 */
export const subscriptionSet = (source: FeedSource) => {
  const running = new Set<Subscription>();
  return {
    subscribe(opts: SubscribeOptions, onBatch: (events: ReadonlyArray<RecordedEvent>) => Promise<void>) {
      const sub = pollSubscription(source, opts, onBatch);
      running.add(sub);
      const forget = () => running.delete(sub);
      sub.done.then(forget, forget);
      return sub;
    },
    async stopAll(): Promise<void> {
      await Promise.all([...running].map((s) => s.stop()));
    },
  };
};
