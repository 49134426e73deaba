import { describe, expect, it } from "vitest";
import { childContext, formatTraceparent, parseTraceparent } from "./trace-context.ts";

describe("W3C traceparent", () => {
  it("round-trips a valid header", () => {
    const h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const t = parseTraceparent(h);
    expect(t).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", flags: 1 });
    expect(formatTraceparent(t!)).toBe(h);
  });

  it("refuses what the spec calls invalid", () => {
    for (const h of [
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      "a-request-id-that-is-no-trace",
    ])
      expect(parseTraceparent(h)).toBeNull();
    // A later version may append fields; its first four are read.
    expect(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")?.spanId).toBe(
      "00f067aa0ba902b7",
    );
  });

  it("a child keeps the trace and gets a new span", () => {
    const parent = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")!;
    const child = childContext(parent, false);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.spanId).not.toBe(parent.spanId);
    expect(parseTraceparent(formatTraceparent(childContext(null, true)))?.flags).toBe(1);
  });
});
