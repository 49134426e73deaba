import type { RandomSource } from "../../infra/retry/backoff.ts";
import type { HttpBindings } from "@hono/node-server";
import * as E from "fp-ts/lib/Either.js";
import { type Context, Hono } from "hono";
import * as t from "io-ts";
import { type Behaviour, BehaviourPatch, drawLatencyMs, drawOutcome } from "./behaviour.ts";
import type { Ledger, PaymentRecord } from "./ledger.ts";

/** A payment token that is always declined (like a gateway's test card numbers). */
export const DECLINE_TOKEN = "tok_decline";

export const ChargeBody = t.type({
  amountCents: t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, "PositiveCents"),
  currency: t.refinement(t.string, (s) => /^[A-Z]{3}$/.test(s), "Currency"),
  paymentToken: t.string,
  reference: t.string,
});

const validKey = (key: string | undefined): key is string =>
  key !== undefined && /^[\x21-\x7e]{1,128}$/.test(key);

export interface SimulatorDeps {
  readonly behaviour: Behaviour;
  readonly ledger: Ledger;
  readonly random: RandomSource;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
}

const view = (p: PaymentRecord) => ({
  key: p.key,
  status: p.status,
  paymentId: p.paymentId,
  reason: p.reason,
  amountCents: p.amountCents,
  currency: p.currency,
  reference: p.reference,
  createdAt: p.createdAt,
});

const answer = (c: Context, p: PaymentRecord, replayed: boolean) => {
  if (replayed) c.header("Idempotent-Replayed", "true");
  return c.json(view(p), p.status === "succeeded" ? (replayed ? 200 : 201) : 402);
};

/** Never settles: the request was accepted and is never answered (the server closes such sockets on stop). */
const hang = () => new Promise<Response>(() => {});

/**
 * The simulated payment gateway's HTTP routes. `POST /payments` charges once per `Idempotency-Key`
 * (a replay returns the recorded result, never a second charge); `GET /payments/{key}` tells whether a
 * key was charged. `GET|PUT /_config` read and change the behaviour; `GET /_stats` counts charges per key.
 */
export const makeSimulatorApp = (deps: SimulatorDeps) => {
  const { behaviour, ledger, random } = deps;
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();

  app.post("/payments", async (c) => {
    const key = c.req.header("Idempotency-Key");
    if (!validKey(key))
      return c.json({ error: "Idempotency-Key header required (1-128 visible ASCII)" }, 400);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: "body must be JSON" }, 400);
    }
    const body = ChargeBody.decode(raw);
    if (E.isLeft(body))
      return c.json({ error: "body must be {amountCents, currency, paymentToken, reference}" }, 400);
    ledger.countChargeRequest(key);
    const draw = drawOutcome(behaviour, random, key);
    const latency = drawLatencyMs(behaviour, random);
    if (draw.fault === "hang") return hang();
    if (draw.fault === "server-error") {
      await deps.sleep(latency);
      return c.json({ error: "simulated gateway failure" }, 503);
    }
    const fingerprint = JSON.stringify([
      body.right.amountCents,
      body.right.currency,
      body.right.paymentToken,
      body.right.reference,
    ]);
    const existing = ledger.get(key);
    if (existing !== undefined && existing.fingerprint !== fingerprint)
      return c.json({ error: "Idempotency-Key reused with a different request" }, 422);
    // The charge is recorded before the latency elapses: a client that gives up meanwhile has been charged.
    let payment = existing;
    if (payment === undefined) {
      const declined = draw.fate === "declined" || body.right.paymentToken === DECLINE_TOKEN;
      payment = {
        key,
        fingerprint,
        status: declined ? "declined" : "succeeded",
        paymentId: declined ? null : ledger.nextPaymentId(),
        reason: declined ? "card_declined" : null,
        ...body.right,
        createdAt: deps.now().toISOString(),
      };
      ledger.record(payment);
    }
    await deps.sleep(latency);
    if (draw.lost) {
      const socket = c.env?.incoming?.socket;
      if (behaviour.lostResponseMode === "destroy" && socket !== undefined) {
        socket.destroy();
        return hang();
      }
      return c.json({ error: "simulated gateway timeout" }, 504);
    }
    return answer(c, payment, existing !== undefined);
  });

  app.get("/payments/:key", async (c) => {
    const key = c.req.param("key");
    ledger.countStatusRequest(key);
    await deps.sleep(drawLatencyMs(behaviour, random));
    const payment = ledger.get(key);
    return payment === undefined ? c.json({ key, status: "not_found" }, 404) : c.json(view(payment), 200);
  });

  app.get("/_config", (c) => c.json(behaviour));
  app.put("/_config", async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: "body must be JSON" }, 400);
    }
    const patch = BehaviourPatch.decode(raw);
    if (E.isLeft(patch)) return c.json({ error: "not a behaviour patch" }, 400);
    Object.assign(behaviour, patch.right);
    return c.json(behaviour);
  });
  app.get("/_stats", (c) => c.json(ledger.stats()));
  app.get("/health", (c) => c.json({ status: "live" }));
  return app;
};
