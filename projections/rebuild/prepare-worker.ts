import { parentPort, workerData } from "node:worker_threads";
import { type PageMessage, type PreparedProjection, pageOfMessage, preparePage } from "./prepare.ts";

/**
 * The worker thread of `workerPreparer` (prepare.ts): each verified page in, its prepared batch text
 * (or `null`) out, in the order the pages came.
 */
const port = parentPort!;
const { name } = workerData as { readonly name: PreparedProjection };
port.on("message", (m: PageMessage) => {
  port.postMessage(preparePage(name, pageOfMessage(m)));
});
