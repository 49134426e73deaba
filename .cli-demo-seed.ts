import * as E from "fp-ts/lib/Either.js";
import { makePostgresEventStore } from "./infra/event-store/postgres/index.ts";
import { skuScenario } from "./projections/testing/scenario.ts";
import { saleWorkload } from "./projections/testing/workload.ts";
const s = await makePostgresEventStore({ connectionString: process.argv[2] as string })();
if (E.isLeft(s)) throw new Error("store");
for (let k = 0; k < 20; k++) {
  const sku = skuScenario(s.right, `demo-${k}`);
  const w = saleWorkload(`demo-${k}`);
  for (let i = 0; i < 5; i++) await sku.append(...w.next(200));
}
await s.right.close();
console.log("seeded 20000 events");
