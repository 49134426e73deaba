import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, testDatabases } from "./testing/databases.ts";
import { runSale } from "./testing/sale.ts";
import { Tamper } from "./testing/tamper.ts";
import { verifyStoreParallel } from "./verify-parallel.ts";
import { verifyStore } from "./verify-store.ts";

/** Worker threads change who verifies a stream, never what is found: the same report as one thread. */
const dbs = testDatabases("hf_parallel");

beforeAll(async () => {
  await dbs.create();
  const store = await openStore(dbs.baseUrl);
  for (const [i, skuId] of ["a", "b", "c"].entries()) await runSale(store, { skuId, seed: 3 + i, chunks: 8 });
  await store.close();
});

afterAll(() => dbs.dropAll());

describe("verifyStoreParallel", () => {
  it("finds exactly what verifyStore finds, clean or tampered", async () => {
    const url = await dbs.clone();
    const t = await Tamper.connect(url, "sku-b");
    const victim = (await t.envelopes()).find((e) => e.type === "ReservationPlaced" && e.revision > 10)!;
    await t.rewrite(victim.revision, (e) => ({ ...e, data: { ...e.data, quantity: 99 } }));
    await t.close();
    for (const u of [dbs.baseUrl, url]) {
      const store = await openStore(u);
      try {
        const one = await verifyStore(store);
        const many = await verifyStoreParallel(store, {
          workers: 2,
          env: { ...process.env, DATABASE_URL: u, EVENTSTORE_URL: "" },
        });
        if (E.isLeft(one) || E.isLeft(many)) throw new Error("could not run");
        expect(many.right).toEqual(one.right);
        expect(many.right.streams.map((s) => s.streamId)).toEqual(["sku-a", "sku-b", "sku-c"]);
        expect(many.right.ok).toBe(u === dbs.baseUrl);
      } finally {
        await store.close();
      }
    }
  });
});
