import { eventStoreContract } from "./contract.ts";
import { makeMemoryEventStore } from "./memory.ts";

eventStoreContract(
  "memory",
  async () => {
    const store = makeMemoryEventStore({ pollIntervalMs: 50 });
    return { store, dispose: () => store.close() };
  },
  { emptyStore: true },
);
