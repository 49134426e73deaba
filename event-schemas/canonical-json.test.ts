import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalJsonFast, canonicalJsonReference } from "./canonical-json.ts";

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units, recursively, and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    // Upper case sorts before lower case; "\u20ac" (€) before "\ud83d\ude00" (😀) by code unit.
    expect(canonicalJson({ b: 0, B: 0, "😀": 0, "€": 0, a: 0 })).toBe('{"B":0,"a":0,"b":0,"€":0,"😀":0}');
  });

  it("writes numbers as RFC 8785 prescribes (ECMAScript shortest round-trip form)", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [-0, "0"],
      [1, "1"],
      [-1.5, "-1.5"],
      [1e21, "1e+21"],
      [1e-7, "1e-7"],
      [123456789012345680000, "123456789012345680000"],
      [0.000001, "0.000001"],
      [4.5, "4.5"],
      [2 ** 53, "9007199254740992"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [333333333.3333333, "333333333.3333333"],
    ];
    for (const [n, text] of cases) expect(canonicalJson({ n })).toBe(`{"n":${text}}`);
  });

  it("escapes strings minimally, as JCS does", () => {
    expect(canonicalJson({ s: 'a"b\\c\n\t\u0001\u007f€😀/' })).toBe(
      '{"s":"a\\"b\\\\c\\n\\t\\u0001\u007f€😀/"}',
    );
  });

  it("refuses what JSON cannot carry faithfully", () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalJson({ s: "\ud800" })).toThrow(); // lone surrogate
  });

  it("the fast road is used for event envelopes and gives the library's bytes on any JSON value", {
    timeout: 60_000,
  }, () => {
    expect(canonicalJsonFast({ type: "X", data: { b: 1, a: "x" } })).toBe(
      '{"data":{"a":"x","b":1},"type":"X"}',
    );
    const anyJson = fc.jsonValue();
    const objects = fc.dictionary(fc.string({ unit: "grapheme" }), anyJson);
    fc.assert(
      fc.property(
        fc.oneof(anyJson, objects, fc.dictionary(fc.string({ unit: "binary" }), anyJson)),
        (value) => {
          let reference: string | Error;
          try {
            reference = canonicalJsonReference(value);
          } catch (e) {
            reference = e as Error;
          }
          if (reference instanceof Error) expect(() => canonicalJson(value)).toThrow();
          else {
            expect(canonicalJson(value)).toBe(reference);
            const fast = canonicalJsonFast(value);
            if (fast !== undefined) expect(fast).toBe(reference);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves to the library what it cannot vouch for: index-like and __proto__ keys, toJSON, undefined", () => {
    expect(canonicalJsonFast({ 10: 1, 9: 2, a: 3 })).toBeUndefined();
    expect(canonicalJson({ 10: 1, 9: 2, a: 3 })).toBe('{"10":1,"9":2,"a":3}');
    expect(canonicalJsonFast(JSON.parse('{"__proto__":{"x":1}}'))).toBeUndefined();
    expect(canonicalJsonFast({ at: new Date(0) })).toBeUndefined();
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJsonFast({ a: undefined })).toBeUndefined();
  });
});
