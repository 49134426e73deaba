import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * API.md: "A wrong or missing required value stops the process at start with a message naming the
 * variable." Each process decodes the config slices it uses, before it reaches any server.
 */
const run = promisify(execFile);
const bin = new URL("../bin/holdfast.mjs", import.meta.url).pathname;
const attempt = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  run("node", [bin, ...args], { env: { PATH: process.env.PATH ?? "", ...env } }).then(
    () => ({ code: 0, stderr: "" }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

describe("a wrong variable stops a process at start, named", () => {
  it("holdfast serve exits 1 naming the wrong variable, and a missing JWT secret", async () => {
    const badRedis = await attempt(["serve", "--roles", "read-api"], {
      HOLDFAST_JWT_SECRET: "config-errors-test-secret",
      REDIS_URL: "http://not-redis:6379",
    });
    expect(badRedis.code).toBe(1);
    expect(badRedis.stderr).toMatch(/holdfast serve: REDIS_URL: REDIS_URL must be a redis: or rediss: URL/);
    const noSecret = await attempt(["serve", "--roles", "write-api"], {});
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(
      /HOLDFAST_JWT_SECRET: HOLDFAST_JWT_SECRET is required \(or run `holdfast serve --dev`\)/,
    );
  }, 60_000);

  it("a CLI command that reads only the log names its own variable and never asks for the JWT secret", async () => {
    const r = await attempt(["audit", "verify"], { DATABASE_URL: "mysql://db" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/DATABASE_URL must be a postgres: or postgresql: URL/);
    expect(r.stderr).not.toMatch(/HOLDFAST_JWT_SECRET/);
  }, 60_000);
});
