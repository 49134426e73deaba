import { parentPort, workerData } from "node:worker_threads";
import { storedItem } from "../audit/stream-source.ts";
import { streamVerifier } from "../audit/verify-stream.ts";

/**
 * One worker of `bench:audit`'s 2-core figures: verifies its own copy of a stream's stored texts (each
 * read as `audit verify` reads a stored row, `storedItem`: scanned, or parsed when the scanner leaves
 * it; the hash of the stored bytes; every check, decision replay if asked) each time it is told to, and
 * reports what it found (the main thread measures the process's CPU time around the run).
 */
const data = workerData as {
  readonly texts: ReadonlyArray<string>;
  readonly streamId: string;
  /** Decision replay too (false: every other check). */
  readonly replay: boolean;
};
const port = parentPort!;
port.on("message", () => {
  const v = streamVerifier(data.streamId, { storeVerifiedHashes: true, replay: data.replay });
  for (let i = 0; i < data.texts.length; i++) v.push(storedItem(data.texts[i]!, data.streamId, BigInt(i), i));
  port.postMessage({ bad: v.end().violationCount });
});
port.postMessage({ ready: true });
