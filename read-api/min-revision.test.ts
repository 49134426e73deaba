import { describe, expect, it } from "vitest";
import { parseMinRevision, waitForRevision } from "./min-revision.ts";

describe("X-Min-Revision", () => {
  it("parses <skuId>@<revision>, rejects anything else, and is absent when not sent", () => {
    expect(parseMinRevision("tee-1@42")).toEqual({ skuId: "tee-1", revision: 42 });
    expect(parseMinRevision(undefined)).toBeUndefined();
    for (const bad of ["tee", "@3", "tee@", "tee@-1", "tee@1.5", "a b@1", `${"x".repeat(65)}@1`])
      expect(parseMinRevision(bad)).toBeNull();
  });
  it("waits until the view reaches the revision, or gives up at the bound", async () => {
    let rev = 1;
    const reached = waitForRevision(async () => rev, 3, 5_000, 1);
    rev = 3;
    expect(await reached).toBe(true);
    expect(await waitForRevision(async () => null, 1, 20, 1)).toBe(false);
  });
});
