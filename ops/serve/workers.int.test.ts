import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childPids } from "../bench/process-cpu.ts";
import { createServer } from "node:net";
import { LISTEN_BACKLOG } from "./acceptor.ts";
import { type Harness, type ServeProcess, startHarness, waitFor } from "./testing/harness.ts";

// `holdfast serve --workers 2`: the HTTP workers share the primary's listening socket through copies of
// their own (acceptor.ts). Many connections opened at once are all answered, and after each worker in
// turn is killed, its replacement (given its copies by the surviving worker) serves the port alone.

let h: Harness;
let serve: ServeProcess;

/** One GET on a connection of its own; resolves with the status. */
const getOnNewConnection = (port: number, path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });

const httpWorkers = (): number[] =>
  childPids(serve.child.pid!).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "utf8").includes("HOLDFAST_SERVE_PART=http");
    } catch {
      return false;
    }
  });

/**
 * The accept queue's length of the socket listening on `port`, as the kernel reports it (`ss -ltn`: a
 * listening socket's Send-Q is its backlog).
 */
const acceptQueueOf = (port: number): number => {
  const line = execFileSync("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" }).trim();
  return Number(line.split(/\s+/)[2]);
};
const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));

/** A free port from 22900 up (this suite's range), so two runs at once do not meet on one port. */
const freePortFrom = async (first: number): Promise<number> => {
  for (let port = first; ; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
};

beforeAll(async () => {
  h = await startHarness("workers");
  serve = await h.serve("write-api", { args: ["--workers", "2"], port: await freePortFrom(22900) });
  await waitFor("two HTTP workers", async () => httpWorkers().length === 2);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe("holdfast serve --workers 2", () => {
  it("answers 1,000 connections opened at once", async () => {
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, () => getOnNewConnection(serve.port, "/health/live")),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1000);
  }, 60_000);

  it("listens with the accept queue it asks for, not Node's 511, once the workers hold their copies", () => {
    // Node listens again, with 511, on each copy a worker receives; the worker sets the length back.
    expect(acceptQueueOf(serve.port)).toBe(Math.min(somaxconn, LISTEN_BACKLOG));
  });

  it("keeps serving the port after each HTTP worker in turn is killed and restarted", async () => {
    for (const victim of httpWorkers()) {
      process.kill(victim, "SIGKILL");
      await waitFor(
        "the replacement worker",
        async () => {
          const now = httpWorkers();
          return now.length === 2 && !now.includes(victim);
        },
        60_000,
        200,
      );
    }
    // Both original workers are gone: the port is served by the replacements alone. Each probe waits
    // until the replacements are ready (a replacement is forked before it serves).
    await waitFor(
      "the replacements to serve",
      async () => (await getOnNewConnection(serve.port, "/health/ready")) === 200,
      60_000,
      200,
    );
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => getOnNewConnection(serve.port, "/health/live")),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(serve.output()).not.toContain("could not listen");
    expect(acceptQueueOf(serve.port)).toBe(Math.min(somaxconn, LISTEN_BACKLOG));
  }, 120_000);
});
