import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { canonicalJson, type EventEnvelope, hashEvent } from "../../event-schemas/index.ts";
import { decodeStored } from "../../infra/event-store/stored-text.ts";
import { type StreamItem, storedItem } from "./stream-source.ts";
import { cancelled, listedEvent, placed, rejected, sealSteps } from "./testing/envelopes.ts";
import { streamVerifier } from "./verify-stream.ts";

const STREAM = "sku-tee";
const sealed = sealSteps([
  { event: listedEvent(2) },
  { event: placed(1, "a", 1) },
  { event: rejected(2, "b", 3, "insufficient-stock") },
  { event: cancelled(1, "a", 1) },
  { event: placed(3, "c", 2) },
]);
const texts = sealed.map((e) => canonicalJson(e));

/** The item the event store port hands out for a stored row (what `forEachPage` builds). */
const viaPort = (text: string, position: bigint, revision: number): StreamItem => {
  const d = decodeStored(text, STREAM, position);
  if (E.isRight(d)) return { _tag: "Event", recorded: { envelope: d.right, position, storedText: text } };
  return { _tag: "Unreadable", revision, message: d.left._tag === "CorruptEvent" ? d.left.message : "" };
};

const report = (items: ReadonlyArray<StreamItem>) => {
  const v = streamVerifier(STREAM, { storeVerifiedHashes: true });
  for (const it of items) v.push(it);
  return v.end();
};

/** Re-seal an envelope after changing it, as someone who rewrites a row and its hash would. */
const resealed = (e: EventEnvelope): string => {
  const { hash: _, ...rest } = e;
  return canonicalJson({ ...rest, hash: hashEvent(e.prevHash, rest) });
};

const variants: ReadonlyArray<readonly [string, (t: string, i: number) => string]> = [
  ["as stored", (t) => t],
  ["one byte changed", (t) => t.replace('"quantity":1', '"quantity":2')],
  ["hash recomputed after a change", (_, i) => resealed({ ...sealed[i]!, requestId: "someone else" })],
  ["another stream", (_, i) => resealed({ ...sealed[i]!, streamId: "sku-other" })],
  ["not JSON", (t) => t.slice(0, -1)],
  ["not canonical (spaces), still sound", (t) => JSON.stringify(JSON.parse(t), null, 1)],
  [
    "an extra data member, re-sealed",
    (_, i) => resealed({ ...sealed[i]!, data: { ...sealed[i]!.data, extra: 1 } }),
  ],
];

describe("storedItem", () => {
  it.each(variants)("gives what the store port gives for a row %s, and the same report", (_, change) => {
    for (let i = 0; i < texts.length; i++) {
      const rows = texts.map((t, j) => (j === i ? change(t, j) : t));
      const mine = rows.map((t, j) => storedItem(t, STREAM, BigInt(j + 1), j));
      const port = rows.map((t, j) => viaPort(t, BigInt(j + 1), j));
      expect(
        mine.map(({ _tag, ...rest }) => ({ _tag, ...("recorded" in rest ? rest.recorded : rest) })),
      ).toEqual(port.map(({ _tag, ...rest }) => ({ _tag, ...("recorded" in rest ? rest.recorded : rest) })));
      expect(report(mine)).toEqual(report(port));
    }
  });

  it("hands the event over decoded when it scanned the row, so it is not decoded twice", () => {
    const items = texts.map((t, j) => storedItem(t, STREAM, BigInt(j + 1), j));
    expect(items.map((it) => (it._tag === "Event" ? it.event : null))).toEqual(
      sealed.map((e) => ({ type: e.type, data: e.data })),
    );
    expect(report(items).violationCount).toBe(0);
  });
});
