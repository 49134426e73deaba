import { describe, expect, it } from "vitest";
import { execArgvOf, HTTP_WORKER_V8_FLAGS, PROJECTOR_V8_FLAGS } from "./cluster.ts";

describe("the V8 flags of `holdfast serve --workers`'s processes", () => {
  it("HTTP workers and a core that runs the projector get theirs before the primary's own", () => {
    expect(execArgvOf({ HOLDFAST_SERVE_PART: "http", HOLDFAST_SERVE_ROLES: "write-api,read-api" })).toEqual([
      ...HTTP_WORKER_V8_FLAGS,
      ...process.execArgv,
    ]);
    expect(
      execArgvOf({ HOLDFAST_SERVE_PART: "core", HOLDFAST_SERVE_ROLES: "command-handler,projector,payments" }),
    ).toEqual([...PROJECTOR_V8_FLAGS, ...process.execArgv]);
    expect(execArgvOf({ HOLDFAST_SERVE_PART: "core", HOLDFAST_SERVE_ROLES: "command-handler" })).toEqual(
      process.execArgv,
    );
  });
});
