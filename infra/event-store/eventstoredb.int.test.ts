import { eventStoreContract } from "./contract.ts";
import { makeEventStoreDbEventStore } from "./eventstoredb.ts";

// No EventStoreDB server can be had on the build machines (INFRA.md): this suite runs wherever
// EVENTSTORE_URL points at a real one (the compose stack), and says loudly that it was skipped otherwise.
const url = process.env.EVENTSTORE_URL;
if (url === undefined || url === "")
  console.warn(
    "SKIPPED: EventStoreDB contract suite — EVENTSTORE_URL is not set (e.g. esdb://127.0.0.1:2113?tls=false)",
  );

eventStoreContract(
  "eventstoredb",
  async () => {
    const store = makeEventStoreDbEventStore({ connectionString: url ?? "", pollIntervalMs: 200 });
    return { store, dispose: () => store.close() };
  },
  { skip: url === undefined || url === "", timeoutMs: 60_000 },
);
