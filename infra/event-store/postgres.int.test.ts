import * as E from "fp-ts/lib/Either.js";
import { eventStoreContract } from "./contract.ts";
import { makePostgresEventStore } from "./postgres/index.ts";
import { createTestDatabase } from "./postgres/test-database.ts";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";

eventStoreContract(
  "postgres",
  async () => {
    const db = await createTestDatabase(serverUrl);
    const made = await makePostgresEventStore({ connectionString: db.url, pollIntervalMs: 200 })();
    if (E.isLeft(made)) {
      await db.drop();
      throw new Error(`could not start the store: ${made.left._tag}`);
    }
    const store = made.right;
    return {
      store,
      dispose: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  { emptyStore: true },
);
