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

/**
 * A worker thread that prepares pages for `name` (prepare-worker.ts), one after the other in the order
 * given, so answers come back in feed order. `boot` is the module the thread starts from: it registers
 * the TypeScript hooks, then imports `workerData.entry` (ops/audit/verify-worker-boot.mjs). If the
 * thread fails, every page still waiting and every later one answers `null` (the usual road, here).
 * One thread: with two (pages in turn) the 2-core machine ran the availability rebuild slower
 * (113,000 against 159,000 events/s), the threads competing with PostgreSQL and Redis.
 */
export const workerPreparer = (name: PreparedProjection, boot: URL): PagePreparer => {
  const worker = new Worker(boot, {
    workerData: { entry: new URL("./prepare-worker.ts", import.meta.url).href, name },
  });
  const waiting: Array<(prepared: string | null) => void> = [];
  let failed = false;
  const fail = () => {
    failed = true;
    for (const resolve of waiting.splice(0)) resolve(null);
  };
  worker.on("message", (prepared: string | null) => waiting.shift()?.(prepared));
  worker.on("error", fail);
  worker.on("exit", fail);
  return {
    prepare: (page) =>
      failed
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
