import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { EventStore, StoredEvent } from "../../infra/event-store/port.ts";
import { mergedBatchText } from "../availability/fold.ts";
import { projectStoredPage } from "../runtime/project-stored.ts";
import { skuScenario } from "../testing/scenario.ts";
import { saleWorkload } from "../testing/workload.ts";
import { pageMessage, pageOfMessage, preparePage, workerPreparer } from "./prepare.ts";

const boot = new URL("../../ops/bin/worker-boot.mjs", import.meta.url);
let store: EventStore;
let pages: StoredEvent[][];

beforeAll(async () => {
  store = makeMemoryEventStore();
  for (const id of ["p-0", "p-1", "p-2"]) {
    const s = skuScenario(store, id);
    await s.append(...saleWorkload(id).next(120));
  }
  const all = await store.readAllStored(null, 10_000)();
  if (E.isLeft(all)) throw new Error("read");
  pages = [0, 1, 2, 3].map((k) => all.right.slice(k * 90, (k + 1) * 90));
});
afterAll(async () => {
  await store.close();
});

describe("preparing a rebuild's pages", () => {
  it("a page is its decoded events' merged batch text; it crosses to a thread unchanged", () => {
    for (const page of pages) {
      const decoded = projectStoredPage(page);
      if (E.isLeft(decoded)) throw new Error(decoded.left);
      expect(preparePage("availability", page)).toBe(mergedBatchText(decoded.right));
      expect(pageOfMessage(structuredClone(pageMessage(page)))).toEqual(page);
    }
  });

  it("a page with an event that cannot be decoded is not prepared (the usual road names it)", () => {
    const page = pages[1]!.map((e, i) => (i === 7 ? { ...e, hash: "0".repeat(64) } : e));
    expect(E.isLeft(projectStoredPage(page))).toBe(true);
    expect(preparePage("availability", page)).toBeNull();
  });

  it("a worker thread answers each page as this thread would, in the order given", async () => {
    const preparer = workerPreparer("availability", boot);
    try {
      expect(await preparer.prepare(pages[0]!)).toBeNull(); // not loaded yet: the usual road
      expect(await preparer.loaded).toBe(true);
      const answers = await Promise.all(pages.map((p) => preparer.prepare(p)));
      expect(answers).toEqual(pages.map((p) => preparePage("availability", p)));
    } finally {
      await preparer.close();
    }
  });

  it("a thread that fails answers null, so every page takes the usual road", async () => {
    const preparer = workerPreparer("availability", new URL("./no-such-boot.mjs", import.meta.url));
    try {
      expect(await preparer.loaded).toBe(false);
      expect(await preparer.prepare(pages[0]!)).toBeNull();
      expect(await preparer.prepare(pages[1]!)).toBeNull();
    } finally {
      await preparer.close();
    }
  });
});
