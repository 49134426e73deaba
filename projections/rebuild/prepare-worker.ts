import { parentPort, workerData } from "node:worker_threads";
import {
  type FromPrepareWorker,
  type PageMessage,
  type PreparedProjection,
  pageOfMessage,
  preparePage,
} from "./prepare.ts";

/**
 * The worker thread of `workerPreparer` (prepare.ts): `ready` once loaded, then each verified page in,
 * its prepared batch text (or `null`) out, in the order the pages came.
 */
const port = parentPort!;
const { name } = workerData as { readonly name: PreparedProjection };
const post = (m: FromPrepareWorker) => port.postMessage(m);
port.on("message", (m: PageMessage) => post(preparePage(name, pageOfMessage(m))));
post({ ready: true });
