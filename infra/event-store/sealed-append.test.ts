import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { type EventEnvelope, sealedTextOf } from "../../event-schemas/index.ts";
import { expectNoStream } from "./port.ts";
import { encodeStored } from "./stored-text.ts";
import { freshStream, sealedEvents } from "./test-events.ts";
import { validateAppend } from "./validate-append.ts";

describe("sealing once", () => {
  it("hands the store exactly the canonical text a full re-encoding of the envelope gives", () => {
    const stream = freshStream();
    for (const env of sealedEvents(stream, null, 20)) {
      expect(sealedTextOf(env)).toEqual(E.getOrElseW(() => "(refused)")(encodeStored(env)));
    }
  });

  it("checks a copy, or an envelope changed after sealing, in full (and refuses a broken hash)", () => {
    const stream = freshStream();
    const events = sealedEvents(stream, null, 3);
    const copy = events.map((e) => ({ ...e }));
    expect(sealedTextOf(copy[0]!)).toBeNull();
    const prepared = validateAppend(stream, expectNoStream, copy);
    expect(E.isRight(prepared) && prepared.right.events.map((e) => e.text)).toEqual(
      events.map((e) => sealedTextOf(e)),
    );
    const changed = events.map((e) => e as { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] });
    changed[1]!.hash = "0".repeat(64) as EventEnvelope["hash"];
    expect(sealedTextOf(changed[1]!)).toBeNull();
    const r = validateAppend(stream, expectNoStream, changed);
    expect(E.isLeft(r) && r.left._tag).toBe("InvalidAppend");
  });
});
