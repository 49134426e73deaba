import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QueuedCommand } from "../../event-schemas/index.ts";
import { isHotQueuedCommand } from "./queued-command-check.ts";

const queued = (command: Record<string, unknown>): Record<string, unknown> => ({
  requestId: "0b6f1c1e-4a3b-4c2d-8e9f-0123456789ab",
  skuId: "tee-2030",
  issuedAt: "2030-01-01T00:00:00.000Z",
  correlationId: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  causationId: "0b6f1c1e-4a3b-4c2d-8e9f-0123456789ab",
  replyTo: "replies:w1",
  command,
});
const valid = [
  queued({
    type: "PlaceReservation",
    reservationId: "1b6f1c1e-4a3b-4c2d-8e9f-0123456789ab",
    userId: "shopper_1.a-b",
    quantity: 2,
    allowPartial: true,
  }),
  queued({ type: "CancelReservation", reservationId: "1b6f1c1e-4a3b-4c2d-8e9f-0123456789ab", userId: "u" }),
  { ...queued({ type: "ExpireHolds" }), replyTo: null },
];

/** Values the guard might be fooled by: each field of a valid command replaced, removed or retyped. */
const oddValues: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  1_000_001,
  Number.NaN,
  "",
  "x".repeat(65),
  "with space",
  "ünï",
  "0B6F1C1E-4A3B-4C2D-8E9F-0123456789AB",
  "0b6f1c1e-4a3b-4c2d-8e9f-0123456789a",
  "2030-02-30T00:00:00.000Z",
  "2030-13-01T00:00:00.000Z",
  "2030-01-01T00:00:00Z",
  "2030-01-01T24:00:00.000Z",
  "2030-01-01T23:60:00.000Z",
  "2030-00-10T00:00:00.000Z",
  "2030-01-00T00:00:00.000Z",
  "2030-01-31T00:00:00.000Z",
  true,
  [],
  {},
  "ListSku",
  "AddStock",
];

const mutate = (base: Record<string, unknown>, path: string[], value: unknown): unknown => {
  const copy = structuredClone(base);
  const parent = path.length === 2 ? (copy.command as Record<string, unknown>) : copy;
  const key = path[path.length - 1]!;
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return copy;
};

const codecAccepts = (u: unknown) => E.isRight(QueuedCommand.decode(u));

describe("isHotQueuedCommand", () => {
  it("accepts the sale's commands, which the codec decodes to the very same value", () => {
    for (const v of valid) {
      expect(isHotQueuedCommand(v)).toBe(true);
      const r = QueuedCommand.decode(v);
      expect(E.isRight(r) && r.right).toEqual(v);
    }
  });

  it("accepts nothing the codec refuses, field by field", () => {
    for (const base of valid) {
      const paths = [
        ...Object.keys(base).map((k) => [k]),
        ...Object.keys(base.command as object).map((k) => ["command", k]),
      ];
      for (const path of paths)
        for (const value of oddValues) {
          const u = mutate(base, path, value);
          if (isHotQueuedCommand(u)) expect(codecAccepts(u), JSON.stringify(u)).toBe(true);
        }
    }
  });

  it("agrees with the codec on random values of each field", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.boolean(),
        fc.anything(),
        fc.nat(),
        (base, inCommand, value, pick) => {
          const keys = Object.keys(inCommand ? (base.command as object) : base);
          const key = keys[pick % keys.length]!;
          const u = mutate(base, inCommand ? ["command", key] : [key], value);
          if (isHotQueuedCommand(u)) expect(codecAccepts(u)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("leaves every other command to the codec", () => {
    expect(isHotQueuedCommand(queued({ type: "AddStock", quantity: 3 }))).toBe(false);
    expect(isHotQueuedCommand(queued({ type: "CloseSale" }))).toBe(false);
    expect(isHotQueuedCommand("not an object")).toBe(false);
  });
});
