import { parentPort, workerData } from "node:worker_threads";
import * as E from "fp-ts/lib/Either.js";
import { decodeStored } from "../../infra/event-store/stored-text.ts";
import { streamVerifier } from "../audit/verify-stream.ts";

/**
 * One worker of `bench:audit`'s 2-core figures: verifies its own copy of a stream's stored texts (parse,
 * hash of the stored bytes, every check, decision replay if asked) each time it is told to, and reports
 * what it found (the main thread measures the process's CPU time around the run).
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
  let bad = 0;
  for (let i = 0; i < data.texts.length; i++) {
    const env = decodeStored(data.texts[i]!, data.streamId, BigInt(i));
    if (E.isLeft(env)) bad += 1;
    else v.push({ _tag: "Event", recorded: { envelope: env.right, position: BigInt(i) } });
  }
  port.postMessage({ bad: bad + v.end().violationCount });
});
port.postMessage({ ready: true });
