import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { checkInvariants } from "./checks.ts";
import { parseFaults, parseOptions } from "./options.ts";
import type { FinalAnswer } from "./shoppers.ts";
import { planRequests } from "./workload.ts";

describe("rehearse options", () => {
  it("defaults to a 2,000-unit sale with the four faults when it starts holdfast itself", () => {
    const o = parseOptions({});
    expect(E.isRight(o) && o.right.stock).toBe(2000);
    expect(E.isRight(o) && o.right.faults.map((f) => f.fault)).toEqual([
      "kill-handler",
      "kill-write-api",
      "restart-kafka",
      "pause-redis",
    ]);
    const t = parseOptions({ target: "http://127.0.0.1:18180" });
    expect(E.isRight(t) && t.right.faults).toEqual([]);
  });

  it("refuses bad input with a message naming the option", () => {
    expect(parseOptions({ stock: "0" })).toEqual(
      E.left('--stock must be a whole number from 1 to 1000000, got "0"'),
    );
    expect(E.isLeft(parseOptions({ concurrency: "2.5" }))).toBe(true);
    expect(E.isLeft(parseOptions({ checkouts: "2" }))).toBe(true);
    expect(E.isLeft(parseOptions({ target: "not a url" }))).toBe(true);
    // Faults only on what the rehearsal started: never on someone else's running holdfast.
    expect(parseOptions({ target: "http://127.0.0.1:18180", faults: "kill-handler" })._tag).toBe("Left");
    expect(parseFaults("pause-redis@20:4")).toEqual(
      E.right([{ fault: "pause-redis", atSeconds: 20, forSeconds: 4 }]),
    );
    expect(E.isLeft(parseFaults("restart-postgres@3"))).toBe(true);
  });

  it("plans a burst at T0 and a decay after it, reproducibly", () => {
    const o = parseOptions({ requests: "3000", duration: "30", seed: "7" });
    if (E.isLeft(o)) throw new Error(o.left);
    const plans = planRequests(o.right);
    const firstSecond = plans.filter((p) => p.atMs < 1000).length;
    const lastTen = plans.filter((p) => p.atMs >= 20_000).length;
    expect(firstSecond).toBeGreaterThan(plans.length / 3);
    expect(lastTen).toBeLessThan(plans.length / 10);
    expect(planRequests(o.right).map((p) => p.userId)).toEqual(plans.map((p) => p.userId));
    expect(new Set(plans.map((p) => p.quantity))).toEqual(new Set([1, 2, 3]));
  });
});

describe("rehearse checks", () => {
  const answer = (userId: string, status: number, quantity: number, type?: string): FinalAnswer => ({
    plan: {
      index: 0,
      userId,
      quantity,
      allowPartial: false,
      idempotencyKey: "k",
      atMs: 0,
      resend: false,
      checkout: false,
    },
    status,
    body: status === 201 ? { reservationId: `${userId}-${quantity}`, quantity } : { type },
    attempts: 1,
    resent: null,
    order: null,
  });
  const run = (answers: FinalAnswer[]) =>
    checkInvariants({
      skuId: "tee",
      stock: 3,
      perUserLimit: 2,
      answers,
      orders: new Map(),
      store: null,
      readBase: "http://127.0.0.1:1",
      auditEnv: {},
    });
  const verdict = async (answers: FinalAnswer[]) =>
    Object.fromEntries((await run(answers)).filter((c) => c.source === "answers").map((c) => [c.name, c.ok]));

  it("catch an oversell, an unanswered request and a shopper past the limit in the answers", async () => {
    expect(
      await verdict([answer("a", 201, 2), answer("b", 201, 1), answer("c", 409, 1, "/problems/sold-out")]),
    ).toEqual({
      "no oversell": true,
      "every request one final answer": true,
      "a re-sent Idempotency-Key gets the first answer": true,
      "per-shopper limit": true,
    });
    const bad = await verdict([
      answer("a", 201, 2),
      answer("a", 201, 1),
      answer("b", 201, 1),
      answer("c", 0, 1),
    ]);
    expect(bad["no oversell"]).toBe(false);
    expect(bad["per-shopper limit"]).toBe(false);
    expect(bad["every request one final answer"]).toBe(false);
  });

  it("fail when there is no log to check", async () => {
    expect((await run([])).find((c) => c.source === "log")?.ok).toBe(false);
  });
});
