import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import { makePostgresEventStore } from "../../../infra/event-store/postgres/index.ts";
import { runSale } from "./sale.ts";

/**
 * A synthetic, realistic sale in a fresh PostgreSQL database, for trying the auditor by hand:
 *   node --import ./ops/bin/ts-loader.mjs ops/audit/testing/seed-sale.ts postgres://postgres@127.0.0.1:5432/hf_demo [SKU] [CHUNKS]
 * SKU may be a comma-separated list (one sale each). Creates the database (it must not exist), decides the sale with the command handler's decideChunk and
 * appends it, like a real sale after Kafka. Prints the stream id and its number of events.
 */
const [url, skuId = "tee", chunks = "48"] = process.argv.slice(2);
if (url === undefined) {
  process.stderr.write("usage: seed-sale.ts DATABASE_URL [SKU] [CHUNKS]\n");
  process.exit(2);
}
const target = new URL(url);
const admin = new URL(url);
admin.pathname = "/postgres";
const c = new pg.Client({ connectionString: admin.toString() });
await c.connect();
await c.query(`create database ${pg.escapeIdentifier(target.pathname.slice(1))}`);
await c.end();
const store = await makePostgresEventStore({ connectionString: url, maxConnections: 2 })();
if (E.isLeft(store)) throw new Error(JSON.stringify(store.left));
for (const [i, sku] of skuId.split(",").entries()) {
  const r = await runSale(store.right, {
    skuId: sku,
    seed: 11 + i,
    shoppers: 150,
    stock: 100,
    chunks: Number(chunks),
  });
  process.stdout.write(`${r.streamId}: ${r.events} events\n`);
}
await store.right.close();
