import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./testing/harness.ts";

/**
 * Issue 12 item 12: `holdfast serve --dev` starts even when the payment simulator's default port
 * (8090) is taken, picks a free one and says which; the payments role then talks to it.
 */
let h: Harness;
let blocker: Server | null = null;

beforeAll(async () => {
  h = await startHarness("devport");
  // Take 8090 unless something already has it: either way it is taken while serve starts.
  blocker = await new Promise<Server | null>((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(null));
    s.listen(8090, "127.0.0.1", () => resolve(s));
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => (blocker === null ? resolve() : blocker.close(() => resolve())));
});

describe("holdfast serve --dev with port 8090 taken", () => {
  it("starts the simulator on a free port, says which, and stays up", async () => {
    const p = await h.serve("payments", { dev: true });
    const said = /payment gateway simulator at (http:\/\/127\.0\.0\.1:(\d+))/.exec(p.output());
    expect(said, p.output().slice(-2000)).not.toBeNull();
    expect(Number(said?.[2])).not.toBe(8090);
    expect(p.output()).toMatch(/port 8090 was taken/);
    const health = await fetch(`${said?.[1]}/health`);
    expect(health.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${p.port}/health/live`)).status).toBe(200);
  }, 90_000);
});
