// Worker threads do not inherit the main thread's module hooks: register them, then load the TypeScript entry.
import { workerData } from "node:worker_threads";
import "../bin/ts-loader.mjs";

await import(workerData.entry);
