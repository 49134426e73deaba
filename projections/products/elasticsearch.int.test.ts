import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEvent } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { RecordedEvent } from "../../infra/event-store/port.ts";
import type { ProjectedEvent } from "../runtime/projection.ts";
import { testElasticsearch } from "../testing/elasticsearch.ts";
import { listed, placed, saleClosed } from "../../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../testing/scenario.ts";
import { productsProjection } from "./elasticsearch.ts";
import { productIndices } from "./indices.ts";
import { elasticsearchProductSearch } from "./search.ts";
import type { ProductQuery } from "./search-port.ts";

const toProjected = (x: RecordedEvent): ProjectedEvent => {
  const d = decodeEvent(x.envelope);
  if (E.isLeft(d)) throw new Error("decode");
  return { ...d.right, position: x.position };
};

let t: ReturnType<typeof testElasticsearch>;
const store = makeMemoryEventStore();
let events: ProjectedEvent[] = [];

beforeAll(async () => {
  t = testElasticsearch();
  const add = async (
    skuId: string,
    over: Parameters<typeof listed>[1],
    ...more: Parameters<ReturnType<typeof skuScenario>["append"]>
  ) => {
    const s = skuScenario(store, skuId);
    await s.append(listed(skuId, over));
    if (more.length > 0) await s.append(...more);
  };
  await add("red-tee", {
    name: "Red cotton tee",
    description: "Soft organic cotton, crew neck",
    priceCents: 2000,
    tags: ["tee", "red"],
    stock: 5,
  });
  await add(
    "blue-hoodie",
    {
      name: "Blue hoodie",
      description: "Warm fleece with a cotton lining",
      priceCents: 6000,
      tags: ["hoodie"],
      stock: 1,
    },
    placed(randomUUID(), "a", 1),
  );
  await add(
    "green-cap",
    { name: "Green cap", description: "Baseball cap", priceCents: 1500, tags: ["cap"], stock: 3 },
    saleClosed(),
  );
  await add("black-tee", {
    name: "Black tee",
    description: "Heavy jersey",
    priceCents: 3500,
    tags: ["tee"],
    stock: 2,
  });
  const r = await store.readAll(null, 1000)();
  if (E.isLeft(r)) throw new Error("read");
  events = r.right.map(toProjected);
});
afterAll(async () => {
  await store.close();
  await t.cleanup();
});

const search = () => elasticsearchProductSearch(t.es, { prefix: t.prefix });
const ids = async (q: Omit<ProductQuery, "page" | "size">) => {
  const r = await search().search({ page: 1, size: 20, ...q })();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right.items.map((i) => i.skuId).sort();
};

describe("Elasticsearch products projection", () => {
  it("given events, then products are searchable by words in name and description, behind the alias", async () => {
    const p = productsProjection(t.es, { prefix: t.prefix });
    const r = await p.applyBatch(events, events[events.length - 1]!.position)();
    expect(E.isRight(r)).toBe(true);
    await t.es.indices.refresh({ index: productIndices(t.prefix).alias });
    expect(await ids({ q: "tee" })).toEqual(["black-tee", "red-tee"]);
    expect(await ids({ q: "cotton" })).toEqual(["blue-hoodie", "red-tee"]); // description words count
    expect(await ids({ q: "organic cotton" })).toEqual(["red-tee"]);
    expect(await ids({ q: "hodie" })).toEqual(["blue-hoodie"]); // a typo is forgiven
  });

  it("filters by in-stock, price range and tag", async () => {
    expect(await ids({ inStock: true })).toEqual(["black-tee", "red-tee"]); // hoodie all held, cap closed
    expect(await ids({ inStock: false })).toEqual(["blue-hoodie", "green-cap"]);
    expect(await ids({ minPriceCents: 1800, maxPriceCents: 3500 })).toEqual(["black-tee", "red-tee"]);
    expect(await ids({ tag: "tee", maxPriceCents: 2500 })).toEqual(["red-tee"]);
    const page = await search().search({ page: 2, size: 3 })();
    expect(E.isRight(page) && page.right).toMatchObject({ total: 4 });
    expect(E.isRight(page) && page.right.items.length).toBe(1);
  });

  it("re-applying the same events (or older ones) leaves the documents as they were", async () => {
    const p = productsProjection(t.es, { prefix: t.prefix });
    const before = await t.es.get({ index: productIndices(t.prefix).generation("1"), id: "blue-hoodie" });
    await p.applyBatch(events, events[events.length - 1]!.position)();
    // A fresh instance (no cache), as after a crash before the checkpoint write:
    await productsProjection(t.es, { prefix: t.prefix }).applyBatch(
      events.slice(0, 3),
      events[2]!.position,
    )();
    const after = await t.es.get({ index: productIndices(t.prefix).generation("1"), id: "blue-hoodie" });
    expect(after._source).toEqual(before._source);
    expect(after._version).toBe(before._version);
    await t.es.indices.refresh({ index: productIndices(t.prefix).alias });
    expect(await ids({ inStock: true })).toEqual(["black-tee", "red-tee"]);
    const rev = await search().revisionOf("blue-hoodie")();
    expect(rev).toEqual(E.right(1));
  });

  it("a later event reaches the index", async () => {
    const s = skuScenario(store, "late");
    await s.append(
      listed("late", { name: "Latecomer scarf", description: "wool", priceCents: 900, stock: 1 }),
    );
    const r = await store.readAll(events[events.length - 1]!.position, 100)();
    if (E.isLeft(r)) throw new Error("read");
    const more = r.right.map(toProjected);
    await productsProjection(t.es, { prefix: t.prefix }).applyBatch(more, more[more.length - 1]!.position)();
    await eventually(async () => ((await ids({ q: "scarf" })).includes("late") ? true : undefined));
  });
});
