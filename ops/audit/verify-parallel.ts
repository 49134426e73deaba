import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import * as E from "fp-ts/lib/Either.js";
import type { EventStore } from "../../infra/event-store/port.ts";
import {
  type AuditReport,
  type AuditRunError,
  streamsToVerify,
  summarise,
  type VerifyStoreOptions,
  verifyStore,
} from "./verify-store.ts";
import type { StreamReport } from "./verify-stream.ts";

export interface ParallelOptions extends VerifyStoreOptions {
  /** Worker threads (default: the machine's cores, at most one per stream; 1 = this thread only). */
  readonly workers?: number;
  /** The environment the workers decode their store from (default this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

type FromWorker = { readonly ready: true } | { readonly report: StreamReport } | { readonly error: string };

/**
 * `holdfast audit verify` on several cores: the streams (one per SKU) are independent, so each worker
 * thread opens its own connection to the event store and verifies whole streams, taking the next one
 * as soon as it is done (largest first would need sizes; a queue is enough to keep every core busy).
 * One stream is always verified by one thread, in revision order, because its invariants, replay and
 * fairness are a fold. With one stream or `workers: 1` it is `verifyStore` on this thread.
 *
 * Workers read the store from the environment (`DATABASE_URL`/`EVENTSTORE_URL`), like the CLI.
 */
export const verifyStoreParallel = async (
  store: EventStore,
  opts: ParallelOptions = {},
): Promise<E.Either<AuditRunError, AuditReport>> => {
  const ids = await streamsToVerify(store, opts.skuId);
  if (E.isLeft(ids)) return ids;
  const n = Math.min(opts.workers ?? availableParallelism(), ids.right.length);
  if (n <= 1) return verifyStore(store, opts);
  const queue = [...ids.right];
  const reports = new Map<string, StreamReport>();
  const boot = new URL("../bin/worker-boot.mjs", import.meta.url);
  const entry = new URL("./verify-worker.ts", import.meta.url).href;
  const failure = await new Promise<string | null>((resolve) => {
    let running = n;
    let failed: string | null = null;
    for (let i = 0; i < n; i++) {
      const w = new Worker(boot, {
        env: opts.env ?? process.env,
        workerData: {
          entry,
          pageSize: opts.pageSize,
          ...(opts.replay === undefined ? {} : { replay: opts.replay }),
        },
      });
      const next = () => {
        const streamId = failed === null ? queue.shift() : undefined;
        w.postMessage(streamId === undefined ? { stop: true } : { streamId });
      };
      w.on("message", (m: FromWorker) => {
        if ("error" in m) {
          failed ??= m.error;
          w.postMessage({ stop: true });
          return;
        }
        if ("report" in m) {
          reports.set(m.report.streamId, m.report);
          opts.onStream?.(m.report);
        }
        next();
      });
      w.on("error", (e) => {
        failed ??= e.message;
      });
      w.on("exit", () => {
        running -= 1;
        if (running === 0) resolve(failed);
      });
    }
  });
  if (failure !== null) return E.left({ _tag: "StoreUnavailable", message: failure });
  const streams = ids.right.map((id) => reports.get(id)).filter((r): r is StreamReport => r !== undefined);
  if (opts.skuId !== undefined && (streams[0]?.events ?? 0) === 0)
    return E.left({ _tag: "NoSuchStream", streamId: ids.right[0]! });
  return E.right(summarise(streams));
};
