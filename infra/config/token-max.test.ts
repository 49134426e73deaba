import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { decodeConfig } from "./config.ts";

/** API.md: `HOLDFAST_TOKEN_MAX_SECONDS` (default 86400), a wrong value stops the process naming it. */
describe("HOLDFAST_TOKEN_MAX_SECONDS", () => {
  const base = { HOLDFAST_JWT_SECRET: "config-test-secret-0123" };

  it("defaults to 86400 and takes a positive whole number of seconds", () => {
    expect(E.getOrElseW(() => null)(decodeConfig(base))?.tokenMaxSeconds).toBe(86_400);
    const set = decodeConfig({ ...base, HOLDFAST_TOKEN_MAX_SECONDS: "900" });
    expect(E.isRight(set) && set.right.tokenMaxSeconds).toBe(900);
  });

  it.each(["0", "-5", "1.5", "a day", "99999999999"])("refuses %s, naming the variable", (value) => {
    const r = decodeConfig({ ...base, HOLDFAST_TOKEN_MAX_SECONDS: value });
    expect(E.isLeft(r) && r.left.variable).toBe("HOLDFAST_TOKEN_MAX_SECONDS");
  });
});
