// The CommandQueue port lives in infra/ so the write API, the sweeper (projections/) and the saga can all
// depend on it without importing commands/; the Kafka adapter is commands/queue/kafka.ts.
export type { CommandQueue, QueueError, QueuePosition } from "../../infra/command-queue/port.ts";
