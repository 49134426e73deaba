import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stackPaths } from "./paths.ts";
import { isAlive, waitUntil } from "./process.ts";
import { type Stack, stackDown, stackStatus, stackUp, statusTable } from "./stack.ts";
import { healthy, type LocalServer, type ServerName, unhealthy } from "./types.ts";

// The orchestration (what counts as ours, no-op second up, down stops only ours) against fake servers
// whose "process" is a real `sleep` child, so PID recording, ownership checks and signals are real.
const dirs: string[] = [];
const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Fake = LocalServer & { starts: number; stops: number };

const fake = (name: ServerName, kind: "existing" | "startable" | "broken"): Fake => {
  let pid = 0;
  const marker = `${3000 + ["postgresql", "redis", "kafka", "elasticsearch"].indexOf(name)}.5`;
  const server: Fake = {
    name,
    url: `fake://${name}`,
    local: true,
    processMarker: marker,
    startTimeoutMs: 5000,
    starts: 0,
    stops: 0,
    probe: async () =>
      kind === "existing" || (pid > 0 && isAlive(pid))
        ? healthy(`${name} ok`)
        : unhealthy("connection refused"),
    prepare: async () => {},
    start: async () => {
      server.starts += 1;
      if (kind === "broken") throw new Error("no binary");
      const child = spawn("sleep", [marker], { stdio: "ignore" });
      pid = child.pid ?? 0;
      children.push(pid);
      return pid;
    },
    stop: async (p) => {
      server.stops += 1;
      process.kill(p, "SIGTERM");
      await waitUntil(async () => !isAlive(p), 5000);
    },
  };
  return server;
};

const makeFakeStack = (kinds: Record<ServerName, "existing" | "startable" | "broken">) => {
  const root = mkdtempSync(join(tmpdir(), "hf-stack-test-"));
  dirs.push(root);
  const servers = (Object.keys(kinds) as ServerName[]).map((n) => fake(n, kinds[n]));
  const stack: Stack = { paths: stackPaths(root), servers };
  const by = (n: ServerName) => servers.find((s) => s.name === n)!;
  return { stack, by };
};

const quiet = () => {};

describe("holdfast stack orchestration", () => {
  it("uses an existing server, starts the missing ones, and a second up starts nothing", async () => {
    const { stack, by } = makeFakeStack({
      postgresql: "existing",
      redis: "startable",
      kafka: "startable",
      elasticsearch: "existing",
    });
    const first = await stackUp(stack, quiet);
    expect(first.map((o) => `${o.name}:${o._tag}`)).toEqual([
      "postgresql:AlreadyUp",
      "redis:Started",
      "kafka:Started",
      "elasticsearch:AlreadyUp",
    ]);
    const second = await stackUp(stack, quiet);
    expect(second.every((o) => o._tag === "AlreadyUp")).toBe(true);
    expect([by("redis").starts, by("kafka").starts, by("postgresql").starts]).toEqual([1, 1, 0]);
    const status = await stackStatus(stack);
    expect(status.map((s) => s.providedBy)).toEqual([
      "existing",
      "started-by-holdfast",
      "started-by-holdfast",
      "existing",
    ]);
  });

  it("down stops only what it started, and only the servers asked for", async () => {
    const { stack, by } = makeFakeStack({
      postgresql: "existing",
      redis: "startable",
      kafka: "startable",
      elasticsearch: "startable",
    });
    await stackUp(stack, quiet);
    expect(await stackDown(stack, quiet, ["redis"])).toEqual(["redis"]);
    expect((await stackStatus(stack)).map((s) => s.providedBy)).toEqual([
      "existing",
      "not running",
      "started-by-holdfast",
      "started-by-holdfast",
    ]);
    expect(await stackDown(stack, quiet)).toEqual(["elasticsearch", "kafka"]);
    expect(by("postgresql").stops).toBe(0);
    expect(await stackDown(stack, quiet)).toEqual([]);
  });

  it("reports a server that cannot start without hiding the others, and status says so", async () => {
    const { stack } = makeFakeStack({
      postgresql: "startable",
      redis: "startable",
      kafka: "startable",
      elasticsearch: "broken",
    });
    const outcomes = await stackUp(stack, quiet);
    expect(outcomes.find((o) => o.name === "elasticsearch")).toMatchObject({
      _tag: "Failed",
      message: "no binary",
    });
    expect(outcomes.filter((o) => o._tag === "Started").length).toBe(3);
    const table = statusTable(await stackStatus(stack));
    expect(table.split("\n")[0]).toMatch(/^SERVER\s+PROVIDED BY\s+URL\s+HEALTH$/);
    expect(table).toMatch(
      /elasticsearch\s+not running\s+fake:\/\/elasticsearch\s+UNHEALTHY: connection refused/,
    );
    await stackDown(stack, quiet);
  });

  it("never treats a recycled PID as its own process", async () => {
    const { stack, by } = makeFakeStack({
      postgresql: "existing",
      redis: "startable",
      kafka: "existing",
      elasticsearch: "existing",
    });
    await stackUp(stack, quiet);
    // Pretend the recorded process is gone and its PID now belongs to a stranger (this test runner).
    const { readState, writeState } = await import("./state-file.ts");
    const state = readState(stack.paths.state);
    writeState(stack.paths.state, { ...state, redis: { ...state.redis!, pid: process.pid } });
    expect(await stackDown(stack, quiet)).toEqual([]);
    expect(by("redis").stops).toBe(0);
  });
});
