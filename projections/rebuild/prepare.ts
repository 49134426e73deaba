import { Worker } from "node:worker_threads";
import * as E from "fp-ts/lib/Either.js";
import type { StoredEvent } from "../../infra/event-store/port.ts";
import { mergedBatchText } from "../availability/fold.ts";
import { projectStoredPage } from "../runtime/project-stored.ts";

/**
 * Read models whose batch writes are one text computed from the batch's events alone (a pure function),
 * so a rebuild can decode and fold a page on a worker thread while this thread reads the next page and
 * writes the previous batch. Availability: the merged apply script's batch argument.
 */
export const batchPreparers = {
  availability: mergedBatchText,
} as const;

export type PreparedProjection = keyof typeof batchPreparers;

/**
 * A verified page decoded as projectors decode it (`projectStoredPage`: the scanner, or the full decode
 * and upcast) and prepared for `name`; `null` when an event cannot be decoded, and the caller takes the
 * usual road, which names it.
 */
export const preparePage = (name: PreparedProjection, page: ReadonlyArray<StoredEvent>): string | null => {
  const decoded = projectStoredPage(page);
  return E.isLeft(decoded) ? null : batchPreparers[name](decoded.right);
};

/** A page as it crosses to the worker: columns (strings and one typed array clone cheaply). */
export interface PageMessage {
  readonly positions: BigInt64Array;
  readonly streamIds: ReadonlyArray<string>;
  readonly texts: ReadonlyArray<string>;
  readonly hashes: ReadonlyArray<string>;
}

export const pageMessage = (page: ReadonlyArray<StoredEvent>): PageMessage => {
  const positions = new BigInt64Array(page.length);
  const streamIds: string[] = new Array(page.length);
  const texts: string[] = new Array(page.length);
  const hashes: string[] = new Array(page.length);
  for (let i = 0; i < page.length; i++) {
    const e = page[i]!;
    positions[i] = e.position;
    streamIds[i] = e.streamId;
    texts[i] = e.storedText;
    hashes[i] = e.hash;
  }
  return { positions, streamIds, texts, hashes };
};

export const pageOfMessage = (m: PageMessage): StoredEvent[] => {
  const page: StoredEvent[] = new Array(m.texts.length);
  for (let i = 0; i < page.length; i++)
    page[i] = {
      position: m.positions[i]!,
      streamId: m.streamIds[i]!,
      storedText: m.texts[i]!,
      hash: m.hashes[i]!,
    };
  return page;
};

/** Prepares pages in the order they are given; `null` for a page to take the usual road. */
export interface PagePreparer {
  prepare(page: ReadonlyArray<StoredEvent>): Promise<string | null>;
  close(): Promise<void>;
}

/** What the worker thread posts: `ready` once it has loaded, then each page's answer in order. */
export type FromPrepareWorker = { readonly ready: true } | string | null;

/**
 * A worker thread that prepares pages for `name` (prepare-worker.ts), one after the other in the order
 * given, so answers come back in feed order. `boot` is the module the thread starts from: it registers
 * the TypeScript hooks, then imports `workerData.entry` (ops/bin/worker-boot.mjs). Until the
 * thread has loaded, and for good once it fails, pages answer `null` at once (the usual road, on this
 * thread), so its start-up never holds the rebuild up.
 * One thread: with two (pages in turn) the 2-core machine ran the availability rebuild slower
 * (113,000 against 159,000 events/s), the threads competing with PostgreSQL and Redis.
 */
export const workerPreparer = (
  name: PreparedProjection,
  boot: URL,
): PagePreparer & { readonly loaded: Promise<boolean> } => {
  const worker = new Worker(boot, {
    workerData: { entry: new URL("./prepare-worker.ts", import.meta.url).href, name },
  });
  const waiting: Array<(prepared: string | null) => void> = [];
  let ready = false;
  let failed = false;
  let settleLoaded: (loaded: boolean) => void = () => {};
  const loaded = new Promise<boolean>((resolve) => {
    settleLoaded = resolve;
  });
  const fail = () => {
    failed = true;
    settleLoaded(false);
    for (const resolve of waiting.splice(0)) resolve(null);
  };
  worker.on("message", (m: FromPrepareWorker) => {
    if (m !== null && typeof m === "object") {
      ready = true;
      settleLoaded(true);
    } else waiting.shift()?.(m);
  });
  worker.on("error", fail);
  worker.on("exit", fail);
  return {
    /** Whether the thread loaded (`false`: it failed first). */
    loaded,
    prepare: (page) =>
      failed || !ready
        ? Promise.resolve(null)
        : new Promise((resolve) => {
            waiting.push(resolve);
            worker.postMessage(pageMessage(page));
          }),
    close: async () => {
      await worker.terminate();
    },
  };
};

/**
 * `f` with a worker thread preparing pages for a target that has a prepared form (closed when `f` is
 * done), else with none: what a rebuild's caller runs `rebuildProjection` in.
 */
export const withWorkerPreparer = async <A>(
  prepared: { readonly name: PreparedProjection } | undefined,
  boot: URL,
  f: (preparer: PagePreparer | undefined) => Promise<A>,
): Promise<A> => {
  const preparer = prepared === undefined ? undefined : workerPreparer(prepared.name, boot);
  try {
    return await f(preparer);
  } finally {
    await preparer?.close();
  }
};
