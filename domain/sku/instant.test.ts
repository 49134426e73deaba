import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatInstant, parseInstant } from "./instant.ts";

const MAX_DATE_MS = 8.64e15;
const ms = fc.oneof(
  fc.integer({ min: 0, max: 253_402_300_799_999 }),
  fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
  fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }),
  fc.constantFrom(0, -1, 951_782_400_000, 253_402_300_800_000, 1.5, Number.NaN, MAX_DATE_MS + 1),
);

/** What the engine answers, a RangeError included. */
const engineFormat = (n: number): string => {
  try {
    return new Date(n).toISOString();
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
};
const ours = (n: number): string => {
  try {
    return formatInstant(n);
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
};

describe("instants by arithmetic", () => {
  it("formats every time exactly as toISOString", () => {
    fc.assert(
      fc.property(ms, (n) => {
        expect(ours(n)).toBe(engineFormat(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it("parses every ISO instant, and every near miss of one, exactly as Date.parse", () => {
    const iso = fc
      .integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 })
      .map((n) => new Date(n).toISOString());
    // One character replaced (digits, separators, out-of-range days and hours among them).
    const edited = fc
      .tuple(
        iso,
        fc.nat({ max: 23 }),
        fc.constantFrom("0", "1", "2", "3", "9", "-", ":", "T", "Z", ".", " ", "a"),
      )
      .map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1));
    const awkward = fc.constantFrom(
      "2026-02-29T00:00:00.000Z",
      "2028-02-29T00:00:00.000Z",
      "2026-02-30T00:00:00.000Z",
      "2026-04-31T12:00:00.000Z",
      "2026-01-01T24:00:00.000Z",
      "2026-01-01T23:59:60.000Z",
      "1969-12-31T23:59:59.999Z",
      "0099-01-01T00:00:00.000Z",
      "2026-11-21T12:00:00Z",
      "",
    );
    fc.assert(
      fc.property(fc.oneof(iso, edited, awkward), (s) => {
        expect(parseInstant(s)).toBe(Date.parse(s));
      }),
      { numRuns: 20_000 },
    );
  });
});
