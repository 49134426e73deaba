import * as E from "fp-ts/lib/Either.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeHttpPaymentGateway } from "../../infra/payment-gateway/http.ts";
import { DECLINE_TOKEN } from "./app.ts";
import { drawLatencyMs, defaultBehaviour, seededRandom } from "./behaviour.ts";
import { type RunningPaymentSimulator, startPaymentSimulator } from "./server.ts";

const charge = (key: string, paymentToken = "tok_visa") => ({
  key,
  amountCents: 2500,
  currency: "EUR",
  paymentToken,
  reference: key,
});

let sim: RunningPaymentSimulator;
beforeEach(async () => {
  sim = await startPaymentSimulator({ port: 0, random: seededRandom(7) });
});
afterEach(async () => {
  await sim.stop();
});

describe("payment gateway simulator through the HTTP adapter", () => {
  it("charges a key once, whatever the number of requests", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url });
    const first = await gw.charge(charge("k1"))();
    const again = await gw.charge(charge("k1"))();
    expect(E.isRight(first) && first.right.paymentId).toMatch(/^pay_/);
    expect(again).toEqual(first);
    expect(sim.stats()).toMatchObject({ totalCharges: 1, charges: { k1: 1 }, chargeRequests: { k1: 2 } });
    expect(await gw.status("k1")()).toEqual(
      E.right({ _tag: "Succeeded", paymentId: E.isRight(first) ? first.right.paymentId : "" }),
    );
    expect(await gw.status("never-seen")()).toEqual(E.right({ _tag: "NotFound" }));
  });

  it("refuses a key reused with another body, without charging", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url });
    await gw.charge(charge("k2"))();
    const other = await gw.charge({ ...charge("k2"), amountCents: 1 })();
    expect(E.isLeft(other) && other.left).toMatchObject({ _tag: "Rejected", status: 422 });
    expect(sim.stats().charges.k2).toBe(1);
  });

  it("declines the decline token and by rate, and remembers the decline", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url });
    expect(await gw.charge(charge("k3", DECLINE_TOKEN))()).toEqual(
      E.left({ _tag: "Declined", reason: "card_declined" }),
    );
    sim.configure({ declineRate: 1 });
    expect(await gw.charge(charge("k4"))()).toEqual(E.left({ _tag: "Declined", reason: "card_declined" }));
    sim.configure({ declineRate: 0 });
    expect(await gw.charge(charge("k4"))()).toEqual(E.left({ _tag: "Declined", reason: "card_declined" }));
    expect(await gw.status("k4")()).toEqual(E.right({ _tag: "Declined", reason: "card_declined" }));
    expect(sim.stats().totalCharges).toBe(0);
  });

  it("answers 5xx without charging, so a retry charges", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url });
    sim.configure({ serverErrorRate: 1 });
    expect(await gw.charge(charge("k5"))()).toMatchObject(E.left({ _tag: "ServerError", status: 503 }));
    expect(sim.stats().charges.k5).toBeUndefined();
    sim.configure({ serverErrorRate: 0 });
    expect(E.isRight(await gw.charge(charge("k5"))())).toBe(true);
  });

  it("turns a hanging request into a Timeout value", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url, timeoutMs: 200 });
    sim.configure({ script: ["hang"] });
    expect(await gw.charge(charge("k6"))()).toEqual(E.left({ _tag: "Timeout", afterMs: 200 }));
    expect(sim.stats().charges.k6).toBeUndefined();
  });

  it("charges but loses the response (connection destroyed, or 504); the status query knows", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url });
    sim.configure({
      keyScripts: { k7: ["lost-response"], k8: ["lost-response"] },
      lostResponseMode: "destroy",
    });
    expect(await gw.charge(charge("k7"))()).toMatchObject(E.left({ _tag: "Unreachable" }));
    sim.configure({ lostResponseMode: "504" });
    expect(await gw.charge(charge("k8"))()).toMatchObject(E.left({ _tag: "ServerError", status: 504 }));
    expect(sim.stats().charges).toEqual({ k7: 1, k8: 1 });
    expect(E.isRight(await gw.status("k7")()) && E.isRight(await gw.status("k8")())).toBe(true);
  });

  it("is unreachable while down and keeps its payments when back", async () => {
    const gw = makeHttpPaymentGateway({ baseUrl: sim.url });
    await gw.charge(charge("k9"))();
    await sim.goDown();
    expect(await gw.status("k9")()).toMatchObject(E.left({ _tag: "Unreachable" }));
    await sim.comeUp();
    expect(await gw.status("k9")()).toMatchObject(E.right({ _tag: "Succeeded" }));
  });

  it("changes behaviour through PUT /_config and reports charges on GET /_stats", async () => {
    const put = await fetch(`${sim.url}/_config`, {
      method: "PUT",
      body: JSON.stringify({ declineRate: 0.25 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ declineRate: 0.25, latencyMedianMs: 0 });
    const bad = await fetch(`${sim.url}/_config`, {
      method: "PUT",
      body: JSON.stringify({ declineRate: 2 }),
    });
    expect(bad.status).toBe(400);
    const noKey = await fetch(`${sim.url}/payments`, { method: "POST", body: JSON.stringify(charge("x")) });
    expect(noKey.status).toBe(400);
    const stats = await (await fetch(`${sim.url}/_stats`)).json();
    expect(stats).toEqual({ totalCharges: 0, charges: {}, chargeRequests: {}, statusRequests: {} });
  });
});

describe("simulated latency", () => {
  it("is log-normal around the median, reproducible with a seed", () => {
    const b = { ...defaultBehaviour, latencyMedianMs: 100, latencySigma: 0.5 };
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 2001 }, () => drawLatencyMs(b, random)).sort((x, y) => x - y);
    };
    const samples = draw(1);
    expect(draw(1)).toEqual(samples);
    expect(samples[1000]).toBeGreaterThan(90);
    expect(samples[1000]).toBeLessThan(110);
    expect(drawLatencyMs({ ...b, latencySigma: 0 }, Math.random)).toBe(100);
  });
});
