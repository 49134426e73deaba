import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { decideBatch } from "./decide-batch.ts";
import { evolve, foldEvents, InconsistentEvent } from "./evolve.ts";
import { availabilityOf, nextHoldDeadline, reservationOf, snapshotOf } from "./queries.ts";
import { initialState } from "./state.ts";
import { cancelled, placed } from "../../event-schemas/testing/sku-events.ts";
import { at, cmd, listed, reserveBody, T0, uuid } from "./testing.ts";

describe("evolve", () => {
  it("is pure: the input state is unchanged and still answers as before", () => {
    const before = foldEvents([listed({ stock: 5 }), placed(uuid(1), "ann", 1, at(120))]);
    const snapshot = snapshotOf(before);
    const after = evolve(before, cancelled(uuid(1), "ann", 1));
    expect(snapshotOf(before)).toEqual(snapshot);
    expect(reservationOf(before, uuid(1))?.status).toBe("held");
    expect(reservationOf(after, uuid(1))?.status).toBe("cancelled");
    expect(availabilityOf(after, T0)?.available).toBe(5);
  });

  it("branches: two successors of one state do not see each other", () => {
    const base = foldEvents([listed({ stock: 5 })]);
    const a = evolve(base, placed(uuid(1), "ann", 2, at(120)));
    const b = evolve(base, placed(uuid(2), "bob", 3, at(120)));
    expect(reservationOf(a, uuid(2))).toBeUndefined();
    expect(reservationOf(b, uuid(1))).toBeUndefined();
    expect(availabilityOf(a, T0)?.held).toBe(2);
    expect(availabilityOf(b, T0)?.held).toBe(3);
    // ...and each can go on being extended.
    const b2 = evolve(b, placed(uuid(3), "cy", 1, at(60)));
    expect(availabilityOf(b2, T0)?.held).toBe(4);
    expect(nextHoldDeadline(b2)).toBe(at(60));
    expect(nextHoldDeadline(b)).toBe(at(120));
    expect(availabilityOf(base, T0)?.held).toBe(0);
  });

  it("decideBatch leaves its input alone, so a handler can retry from it after a failed append", () => {
    const base = foldEvents([listed({ stock: 1 })]);
    const first = decideBatch(base, [cmd(reserveBody("ann", 1, uuid(1)))]);
    const retry = decideBatch(base, [cmd(reserveBody("bob", 1, uuid(2)))]);
    expect(E.isRight(retry.outcomes[0]!) && retry.outcomes[0].right[0]!.type).toBe("ReservationPlaced");
    expect(reservationOf(first.state, uuid(1))?.userId).toBe("ann");
    expect(reservationOf(retry.state, uuid(1))).toBeUndefined();
    expect(availabilityOf(base, T0)?.available).toBe(1);
  });

  it("throws on an event that cannot follow the state (a corrupt stream is a bug, not a decision)", () => {
    expect(() => evolve(initialState, cancelled(uuid(1), "ann", 1))).toThrow(InconsistentEvent);
    expect(() => foldEvents([listed(), listed()])).toThrow(InconsistentEvent);
    expect(() => foldEvents([listed(), cancelled(uuid(1), "ann", 1)])).toThrow(InconsistentEvent);
  });

  it("foldEvents records the requests the events answered when given their requestIds", () => {
    const state = foldEvents([
      { event: listed(), requestId: "r-list" },
      { event: placed(uuid(1), "ann", 1, at(120)), requestId: "r-1" },
    ]);
    const replay = decideBatch(state, [cmd(reserveBody("ann", 1, uuid(5)), T0, "r-1")]);
    expect(replay.outcomes[0]).toEqual(E.left({ _tag: "RequestAlreadyDecided", requestId: "r-1" }));
  });
});
