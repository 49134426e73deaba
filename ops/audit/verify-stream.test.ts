import { describe, expect, it } from "vitest";
import { sealSteps, cancelled, listedEvent, placed, rejected, type Step } from "./testing/envelopes.ts";
import { streamVerifier } from "./verify-stream.ts";

const verify = (steps: ReadonlyArray<Step>, opts: { replay?: boolean } = {}) => {
  const v = streamVerifier("sku-tee", opts);
  sealSteps(steps).forEach((envelope, i) => {
    v.push({ _tag: "Event", recorded: { envelope, position: BigInt(i + 1) } });
  });
  return v.end().violations.map((x) => `${x.rule}@${x.revision}`);
};

describe("fairness (decision replay off: as if the decider itself were unfair)", () => {
  const off = { replay: false };

  it("a later request served after an earlier one was refused sold-out, with nothing returned in between", () => {
    expect(
      verify(
        [
          { event: listedEvent(1) },
          { event: placed(1, "a", 1) },
          { event: rejected(2, "b", 1, "sold-out") },
          { event: placed(3, "c", 1) },
        ],
        off,
      ),
    ).toEqual(["invariant/oversold@3", "fairness/first-come-first-served@3"]);
  });

  it("no violation when units came back in between (a cancel)", () => {
    expect(
      verify(
        [
          { event: listedEvent(1) },
          { event: placed(1, "a", 1) },
          { event: rejected(2, "b", 1, "sold-out") },
          { event: cancelled(1, "a", 1) },
          { event: placed(3, "c", 1) },
        ],
        off,
      ),
    ).toEqual([]);
  });

  it("an all-or-nothing request for 3 refused while 2 were left does not make a later hold of 2 unfair", () => {
    expect(
      verify(
        [
          { event: listedEvent(2) },
          { event: rejected(1, "a", 3, "insufficient-stock") },
          { event: placed(2, "b", 2) },
        ],
        off,
      ),
    ).toEqual([]);
  });

  it("a refusal for stock while enough was available is itself a violation", () => {
    expect(
      verify([{ event: listedEvent(3) }, { event: rejected(1, "a", 2, "insufficient-stock") }], off),
    ).toEqual(["fairness/first-come-first-served@1"]);
  });

  it("a partial hold cut short by stock, then a later request served without a release", () => {
    expect(
      verify(
        [{ event: listedEvent(4) }, { event: placed(1, "a", 2, 3, true) }, { event: placed(2, "b", 1) }],
        off,
      ),
    ).toEqual(["fairness/first-come-first-served@1", "fairness/first-come-first-served@2"]);
  });

  it("a partial hold cut by the per-user limit is not a stock shortfall", () => {
    expect(
      verify(
        [{ event: listedEvent(10, 2) }, { event: placed(1, "a", 2, 3, true) }, { event: placed(2, "b", 1) }],
        off,
      ),
    ).toEqual([]);
  });
});

describe("invariants and decision replay on hand-written logs", () => {
  it("a cancel of a hold never placed is inconsistent, and replay refuses it", () => {
    expect(
      verify([{ event: listedEvent(3) }, { event: cancelled(9, "a", 1) }, { event: placed(1, "a", 1) }]),
    ).toEqual(["invariant/consistency@1", "replay/decision-mismatch@1"]);
  });

  it("more than the per-user limit", () => {
    expect(
      verify([{ event: listedEvent(9, 2) }, { event: placed(1, "a", 2) }, { event: placed(2, "a", 1) }], {
        replay: false,
      }),
    ).toEqual(["invariant/per-user-limit@2"]);
  });

  it("a decision the decider would not make (a hold of 2 when it would reject for the limit)", () => {
    expect(
      verify([{ event: listedEvent(9, 2) }, { event: placed(1, "a", 2) }, { event: placed(2, "a", 1) }]),
    ).toEqual(["invariant/per-user-limit@2", "replay/decision-mismatch@2"]);
  });

  it("commands recorded out of queue order", () => {
    expect(
      verify(
        [
          { event: listedEvent(9), queue: 0 },
          { event: placed(1, "a", 1), queue: 5 },
          { event: placed(2, "b", 1), queue: 3 },
        ],
        {
          replay: false,
        },
      ),
    ).toEqual(["order/queue-position@2"]);
  });

  it("two decisions under one command cannot be replayed", () => {
    expect(
      verify([
        { event: listedEvent(9), queue: 0 },
        { event: placed(1, "a", 1), queue: 1 },
        { event: placed(2, "b", 1), queue: 1 },
      ]),
    ).toEqual(["replay/decision-mismatch@1"]);
  });

  it("a clean hand-written log is clean with every check on", () => {
    expect(
      verify([
        { event: listedEvent(2) },
        { event: placed(1, "a", 1) },
        { event: placed(2, "b", 1) },
        { event: rejected(3, "c", 1, "sold-out") },
        { event: cancelled(1, "a", 1) },
        { event: placed(4, "c", 1) },
      ]),
    ).toEqual([]);
  });
});
