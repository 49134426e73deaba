import { createHash } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import type { EventDraft, EventEnvelope } from "./envelope.ts";
import { chainVerifier, hashEvent, sealEvents, verifyChain } from "./hash-chain.ts";
import { GENESIS_HASH, streamIdOf } from "./primitives.ts";
import type { SkuEvent } from "./sku/events.ts";

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const STREAM = streamIdOf("tee");

const draft = (n: number): EventDraft => ({
  eventId: uuid(n),
  event: { type: "StockAdded", data: { quantity: 1, stock: 10 + n } } as SkuEvent,
  occurredAt: "2026-11-21T12:00:00.000Z",
  requestId: uuid(1000 + n),
  correlationId: uuid(1000 + n),
  causationId: uuid(1000 + n),
  queuePosition: n,
});

const chain = (count: number): EventEnvelope[] =>
  sealEvents(
    STREAM,
    null,
    Array.from({ length: count }, (_, i) => draft(i)),
  );

const violation = (
  events: EventEnvelope[],
  opts: Parameters<typeof verifyChain>[1] = { streamId: STREAM },
) => {
  const r = verifyChain(events, opts);
  return E.isLeft(r) ? { kind: r.left.kind, revision: r.left.revision } : null;
};

describe("hashEvent", () => {
  it("is SHA-256 over prevHash then the canonical JSON of the envelope without its hash", () => {
    const [first] = chain(1);
    const { hash: _h, ...rest } = first!;
    const expected = createHash("sha256").update(GENESIS_HASH).update(canonicalJson(rest)).digest("hex");
    expect(first!.hash).toBe(expected);
    expect(hashEvent(GENESIS_HASH, first!)).toBe(expected); // a sealed envelope's own hash is ignored
    expect(hashEvent(GENESIS_HASH, rest)).toBe(expected);
  });

  it("changes when any field changes, prevHash included", () => {
    const [first] = chain(1);
    const base = hashEvent(GENESIS_HASH, first!);
    expect(hashEvent("1".repeat(64), first!)).not.toBe(base);
    expect(hashEvent(GENESIS_HASH, { ...first!, queuePosition: 1 })).not.toBe(base);
    expect(hashEvent(GENESIS_HASH, { ...first!, data: { quantity: 1, stock: 11 } })).not.toBe(base);
  });

  it("does not depend on the order keys were written in", () => {
    const [first] = chain(1);
    const reordered = Object.fromEntries(Object.entries(first!).reverse()) as EventEnvelope;
    expect(hashEvent(GENESIS_HASH, reordered)).toBe(first!.hash);
  });
});

describe("sealEvents", () => {
  it("numbers from 0, links each event to the previous hash, and continues from a tip", () => {
    const events = chain(3);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    const more = sealEvents(STREAM, { revision: 2, hash: events[2]!.hash }, [draft(3)]);
    expect(more[0]!.revision).toBe(3);
    expect(more[0]!.prevHash).toBe(events[2]!.hash);
    expect(verifyChain([...events, ...more], { streamId: STREAM })).toEqual(
      E.right({ revision: 3, hash: more[0]!.hash }),
    );
  });

  it("stamps the current schema version of each event type", () => {
    const [placed] = sealEvents(STREAM, null, [
      {
        ...draft(0),
        event: {
          type: "ReservationPlaced",
          data: {
            reservationId: uuid(9),
            userId: "ann",
            quantityRequested: 1,
            quantity: 1,
            allowPartial: false,
            expiresAt: "2026-11-21T12:02:00.000Z",
          },
        } as SkuEvent,
      },
    ]);
    expect(placed!.schemaVersion).toBe(2);
  });
});

describe("verifyChain names the first bad revision and why", () => {
  it("accepts an intact chain and an empty one", () => {
    const events = chain(4);
    expect(verifyChain(events)).toEqual(E.right({ revision: 3, hash: events[3]!.hash }));
    expect(verifyChain([])).toEqual(E.right(null));
  });

  it("hash-mismatch: an event's content was changed", () => {
    const events = chain(4);
    events[2] = { ...events[2]!, data: { quantity: 1, stock: 999 } };
    expect(violation(events)).toEqual({ kind: "hash-mismatch", revision: 2 });
  });

  it("hash-mismatch: a stored hash was changed (the next link then breaks too, but the first fault is named)", () => {
    const events = chain(4);
    events[1] = { ...events[1]!, hash: "f".repeat(64) as EventEnvelope["hash"] };
    expect(violation(events)).toEqual({ kind: "hash-mismatch", revision: 1 });
  });

  it("broken-link: an event does not point at the previous event's hash", () => {
    const events = chain(4);
    const relinked = { ...events[2]!, prevHash: "a".repeat(64) as EventEnvelope["prevHash"] };
    events[2] = { ...relinked, hash: hashEvent(relinked.prevHash, relinked) }; // rehashed: only the link is wrong
    expect(violation(events)).toEqual({ kind: "broken-link", revision: 2 });
  });

  it("broken-link: an event was removed and the rest renumbered", () => {
    const events = chain(4);
    const tail = events.slice(2).map((e) => ({ ...e, revision: e.revision - 1 }));
    expect(violation([events[0]!, ...tail])).toEqual({ kind: "broken-link", revision: 1 });
  });

  it("revision-gap: a revision is missing or repeated", () => {
    const events = chain(4);
    expect(violation([events[0]!, events[1]!, events[3]!])).toEqual({ kind: "revision-gap", revision: 2 });
    expect(violation([events[0]!, events[1]!, events[1]!])).toEqual({ kind: "revision-gap", revision: 2 });
    expect(violation(events.slice(1))).toEqual({ kind: "revision-gap", revision: 0 });
  });

  it("foreign-stream: an event of another stream", () => {
    const events = chain(3);
    const other = sealEvents(streamIdOf("mug"), { revision: 0, hash: events[0]!.hash }, [draft(1)]);
    expect(violation([events[0]!, other[0]!, events[2]!])).toEqual({ kind: "foreign-stream", revision: 1 });
  });

  it("checks from a known tip, and the incremental verifier sticks to its first violation", () => {
    const events = chain(4);
    expect(
      verifyChain(events.slice(2), { streamId: STREAM, from: { revision: 1, hash: events[1]!.hash } }),
    ).toEqual(E.right({ revision: 3, hash: events[3]!.hash }));
    const v = chainVerifier(STREAM);
    expect(E.isRight(v.push(events[0]!))).toBe(true);
    const bad = v.push(events[2]!);
    expect(E.isLeft(bad) && bad.left.kind).toBe("revision-gap");
    expect(v.push(events[1]!)).toEqual(bad);
  });
});
