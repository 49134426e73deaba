import { parentPort, workerData } from "node:worker_threads";
import * as E from "fp-ts/lib/Either.js";
import { decodeConfigSlice, eventStoreSettings } from "../../infra/config/config.ts";
import { makeEventStore } from "../../infra/event-store/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { describeStoreError } from "./cli-support.ts";
import { verifyStream } from "./verify-store.ts";

/**
 * One worker of `verifyStoreParallel`: opens its own event store (from the same environment as the
 * main thread, or an in-memory store handed over for benchmarks is not possible: stores are per thread),
 * then verifies each stream the main thread sends and posts its report back.
 *
 * Messages in: `{ streamId }` or `{ stop: true }`. Out: `{ ready }`, `{ report }`, `{ error }`.
 */
export type ToWorker = { readonly streamId: string } | { readonly stop: true };

const port = parentPort!;
const opts = workerData as { readonly pageSize?: number; readonly replay?: boolean };
const config = decodeConfigSlice(eventStoreSettings, process.env);
let store: EventStore | null = null;
if (E.isLeft(config)) port.postMessage({ error: config.left.message });
else {
  const s = await makeEventStore(config.right)();
  if (E.isLeft(s)) port.postMessage({ error: describeStoreError(s.left) });
  else {
    store = s.right;
    port.postMessage({ ready: true });
  }
}

port.on("message", async (m: ToWorker) => {
  if ("stop" in m || store === null) {
    await store?.close().catch(() => undefined);
    port.close();
    return;
  }
  const r = await verifyStream(store, m.streamId, opts);
  port.postMessage(E.isLeft(r) ? { error: describeStoreError(r.left) } : { report: r.right });
});
