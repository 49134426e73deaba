import { describe, expect, it } from "vitest";
import { cancelled, listed, paid, placed } from "../../event-schemas/testing/sku-events.ts";
import { availabilityOps } from "./evolve.ts";

describe("availability ops", () => {
  it("a hold adds to held and records the reservation; payment moves it from held to sold", () => {
    const id = "00000000-0000-4000-8000-000000000001";
    expect(availabilityOps(placed(id, "alice", 2), 3)).toContainEqual(["incr", "held", 2]);
    expect(availabilityOps(paid("00000000-0000-4000-8000-000000000002", id, 2), 4)).toEqual([
      ["incr", "held", -2],
      ["incr", "sold", 2],
      ["res", id, "status", "sold", "revision", "4"],
    ]);
    expect(availabilityOps(cancelled(id, "alice", 2), 5)).toContainEqual(["incr", "held", -2]);
  });
  it("a listing sets the total and the sale window", () => {
    const ops = availabilityOps(
      listed("t", { stock: 7, saleStartsAt: "2030-01-01T00:00:00.000Z" as never }),
      0,
    );
    expect(ops).toContainEqual(["set", "total", "7"]);
    expect(ops).toContainEqual(["set", "saleStartsAt", "2030-01-01T00:00:00.000Z"]);
  });
});
