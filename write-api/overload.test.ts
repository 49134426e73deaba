import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { makeOverloadGuard, type OverloadPolicy, shedDecision } from "./overload.ts";

const policy: OverloadPolicy = { waitBudgetMs: 1000, maxInFlight: 50, maxLoopDelayMs: 100, minInFlight: 5 };
const signals = (inFlight: number, rate: number, loop = 0, oldest = 1100) => ({
  inFlight: () => inFlight,
  answerRate: () => rate,
  loopDelayMs: () => loop,
  oldestWaitMs: () => oldest,
});

describe("overload shedding", () => {
  it("admits while the backlog can be decided within the wait budget", () => {
    expect(shedDecision(signals(0, 0), policy)).toBeNull();
    expect(shedDecision(signals(4, 0), policy)).toBeNull(); // too few to estimate from
    expect(shedDecision(signals(40, 100), policy)).toBeNull(); // 0.4 s of backlog
    expect(shedDecision(signals(40, 0, 0, 10), policy)).toBeNull(); // a burst's first moments
  });

  it("sheds on backlog, on a late event loop and at the in-flight cap, with a Retry-After", () => {
    expect(shedDecision(signals(30, 10), policy)).toEqual({ reason: "backlog", retryAfterS: 3 });
    expect(shedDecision(signals(15, 10), policy)).toBeNull(); // 1.5 s: within twice the budget
    expect(shedDecision(signals(1, 100, 250), policy)?.reason).toBe("event-loop");
    expect(shedDecision(signals(50, 10_000), policy)?.reason).toBe("in-flight");
  });

  it("answers 503 unavailable with Retry-After at once, without running the route, once requests pile up", async () => {
    let now = 0;
    // The backlog test off (minInFlight beyond the cap): only the in-flight cap sheds here.
    const guard = makeOverloadGuard(
      { ...policy, minInFlight: 1000 },
      { nowMs: () => now, loopDelayMs: () => 0 },
    );
    let hold = true;
    const release: Array<() => void> = [];
    let ran = 0;
    const app = new Hono();
    app.use("*", guard.middleware);
    app.post("/r", async (c) => {
      ran++;
      if (hold) await new Promise<void>((r) => release.push(r));
      return c.text("decided", 201);
    });
    // 50 requests held open (the in-flight cap): the 51st is answered at once.
    const held = Array.from({ length: 50 }, () => app.request("/r", { method: "POST" }));
    await new Promise((r) => setTimeout(r, 0));
    expect(guard.signals.inFlight()).toBe(50);
    const shed = await app.request("/r", { method: "POST" });
    expect(shed.status).toBe(503);
    expect(shed.headers.get("Retry-After")).toBe("1");
    expect(await shed.json()).toMatchObject({ type: "/problems/unavailable" });
    expect(ran).toBe(50);
    hold = false;
    for (const r of release) r();
    expect((await Promise.all(held)).every((r) => r.status === 201)).toBe(true);
    now += 100;
    expect(guard.signals.inFlight()).toBe(0);
    expect(guard.signals.answerRate()).toBe(50);
    expect((await app.request("/r", { method: "POST" })).status).toBe(201);
  });
});
