import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, type EventEnvelope, hashEvent } from "../../event-schemas/index.ts";
import { hashMatches, keysSorted } from "./fast-hash.ts";
import { listedEvent, placed, sealSteps } from "./testing/envelopes.ts";

const base = sealSteps([{ event: listedEvent(3) }, { event: placed(1, "a", 1) }])[1]!;

/** Any JSON data (no lone surrogates: JCS cannot represent them, the writer could never have hashed one). */
const data = fc.dictionary(
  fc.string({ unit: "grapheme" }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v))),
);

describe("hashMatches (the auditor's fast hash) agrees with hashEvent", () => {
  it("on envelopes as stores hand them out (parsed from canonical text): sealed ones match", () => {
    fc.assert(
      fc.property(data, (d) => {
        const env = { ...base, data: d } as unknown as EventEnvelope;
        const sealed = { ...env, hash: hashEvent(env.prevHash, env) } as EventEnvelope;
        const stored = JSON.parse(canonicalJson(sealed)) as EventEnvelope;
        expect(hashMatches(stored)).toBe(true);
        // The fast path's premise: when every object's keys enumerate in JCS order, JSON.stringify writes
        // the JCS bytes (integer-like keys enumerate first in JS, so those objects take the slow path).
        const { hash: _h, ...rest } = stored;
        if (keysSorted(rest)) expect(JSON.stringify(rest)).toBe(canonicalJson(rest));
      }),
    );
  });

  it("whatever the key order, a changed envelope never matches and an unchanged one always does", () => {
    fc.assert(
      fc.property(data, data, fc.boolean(), (d, other, reorder) => {
        const env = { ...base, data: d } as unknown as EventEnvelope;
        const sealed = { ...env, hash: hashEvent(env.prevHash, env) } as EventEnvelope;
        const shuffled = reorder
          ? (Object.fromEntries(Object.entries(sealed).reverse()) as EventEnvelope)
          : sealed;
        expect(hashMatches(shuffled)).toBe(true);
        const changed = { ...shuffled, data: other } as unknown as EventEnvelope;
        expect(hashMatches(changed)).toBe(canonicalJson(other) === canonicalJson(d));
      }),
    );
  });

  it("one changed character of a stored envelope is caught", () => {
    const stored = JSON.parse(canonicalJson(base).replace('"userId":"a"', '"userId":"b"')) as EventEnvelope;
    expect(hashMatches(stored)).toBe(false);
  });
});
