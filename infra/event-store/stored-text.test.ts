import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { canonicalJson, type EventEnvelope, GENESIS_HASH, hashEvent } from "../../event-schemas/index.ts";
import { sealedEvents } from "./test-events.ts";
import {
  decodeStored,
  decodeStoredEvent,
  encodeStored,
  storedTextHashes,
  verifiedHashOf,
} from "./stored-text.ts";

/** An envelope whose data tries to confuse the hash-member search: nested `hash` keys and quoted text. */
const tricky = (): EventEnvelope => {
  const unsealed = {
    eventId: "7d3f2c1e-0b4a-4c5d-9e8f-1a2b3c4d5e6f",
    type: "SkuListed",
    schemaVersion: 1,
    streamId: "sku-tee",
    revision: 0,
    occurredAt: "2026-11-21T12:00:00.000Z",
    requestId: 'req ,"hash":"not-the-hash", end',
    correlationId: "c",
    causationId: "c",
    queuePosition: 0,
    data: {
      nested: { hash: "f".repeat(64), list: [{ hash: "e".repeat(64) }] },
      note: 'a ,"hash":" b',
      emoji: "é✓",
    },
    prevHash: GENESIS_HASH,
  } as unknown as Omit<EventEnvelope, "hash">;
  return { ...unsealed, hash: hashEvent(GENESIS_HASH, unsealed) } as EventEnvelope;
};

describe("stored text", () => {
  it("stores the canonical JSON and reads it back, verifying the hash despite look-alike members", () => {
    const env = tricky();
    const text = encodeStored(env);
    expect(text).toEqual(E.right(canonicalJson(env)));
    expect(decodeStored(canonicalJson(env), "sku-tee", 1n)).toEqual(E.right(env));
  });

  it("refuses an envelope whose hash does not match, and reports changed stored bytes as CorruptEvent", () => {
    const env = tricky();
    expect(E.isLeft(encodeStored({ ...env, queuePosition: 1 }))).toBe(true);
    const changed = canonicalJson(env).replace("é✓", "e✓");
    const r = decodeStored(changed, "sku-tee", 7n);
    expect(E.isLeft(r) && r.left).toMatchObject({ _tag: "CorruptEvent", position: 7n });
    expect(E.isLeft(decodeStored(canonicalJson(env), "sku-other", 7n))).toBe(true);
  });

  it("checks a canonical text's hash on its bytes: any changed byte or non-canonical form fails", () => {
    const env = tricky();
    const text = canonicalJson(env);
    expect(storedTextHashes(text, env.prevHash, env.hash)).toBe(true);
    expect(storedTextHashes(text.replace("é✓", "e✓"), env.prevHash, env.hash)).toBe(false);
    expect(storedTextHashes(text, "1".repeat(64), env.hash)).toBe(false);
    expect(storedTextHashes(JSON.stringify(JSON.parse(text), null, 1), env.prevHash, env.hash)).toBe(false);
  });

  it("refuses an envelope with fields beyond the 13 defined", () => {
    expect(E.isLeft(encodeStored({ ...tricky(), extra: 1 } as EventEnvelope))).toBe(true);
  });

  it("verifies a stored text's bytes without decoding: its hash when unchanged, null for any change", () => {
    const env = tricky();
    const text = canonicalJson(env);
    expect(verifiedHashOf(text)).toBe(env.hash);
    // A long data member pushes the hash far from the end; look-alike members sit near it.
    const long = {
      ...env,
      data: { ...env.data, pad: "x".repeat(2000), z: { hash: "a".repeat(64), prevHash: "b".repeat(64) } },
    } as unknown as Omit<EventEnvelope, "hash">;
    const { hash: _, ...unsealedLong } = long as EventEnvelope;
    const sealedLong = { ...unsealedLong, hash: hashEvent(GENESIS_HASH, unsealedLong) } as EventEnvelope;
    expect(verifiedHashOf(canonicalJson(sealedLong))).toBe(sealedLong.hash);
    for (const e of [env, sealedLong, ...sealedEvents("sku-v", null, 5)]) {
      const t = canonicalJson(e);
      // Every single-character change anywhere is caught, and decoding agrees.
      for (let i = 0; i < t.length; i += 7) {
        const changed = t.slice(0, i) + (t[i] === "1" ? "2" : "1") + t.slice(i + 1);
        expect(verifiedHashOf(changed)).toBeNull();
        expect(E.isLeft(decodeStored(changed, e.streamId, 1n))).toBe(true);
      }
      expect(decodeStoredEvent({ position: 3n, streamId: e.streamId, storedText: t, hash: e.hash })).toEqual(
        E.right({ envelope: e, position: 3n, storedText: t }),
      );
    }
  });
});
