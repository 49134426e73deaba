// The module a worker thread starts from (audit verify --workers, the rebuild's page preparer, bench:audit):
// worker threads do not inherit the main thread's module hooks, so register them, then load the
// TypeScript entry named in `workerData.entry`.
import { workerData } from "node:worker_threads";
import "./ts-loader.mjs";

await import(workerData.entry);
