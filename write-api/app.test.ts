import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { signToken } from "../infra/http/auth.ts";
import { backend, SECRET } from "./testing/backend.ts";

let alice: string;
let bob: string;
let admin: string;
beforeEach(async () => {
  alice = await signToken(SECRET, { userId: "alice" });
  bob = await signToken(SECRET, { userId: "bob" });
  admin = await signToken(SECRET, { userId: "ops", admin: true });
});

const reserve = (
  app: ReturnType<typeof backend>["app"],
  opts: { token?: string | null; key?: string | null; body?: string; type?: string; sku?: string } = {},
) => {
  const headers: Record<string, string> = { "Content-Type": opts.type ?? "application/json" };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? alice}`;
  if (opts.key !== null) headers["Idempotency-Key"] = opts.key ?? randomUUID();
  return app.request(`/v1/skus/${opts.sku ?? "tee"}/reservations`, {
    method: "POST",
    headers,
    body: opts.body ?? JSON.stringify({ quantity: 1 }),
  });
};

describe("POST /v1/skus/{skuId}/reservations", () => {
  it("answers 201 with the reservation when the decision arrives in time", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await reserve(app);
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ skuId: "tee", quantity: 1, expiresAt: "2030-01-01T00:00:00.000Z" });
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]?.command).toMatchObject({
      type: "PlaceReservation",
      userId: "alice",
      quantity: 1,
      allowPartial: false,
    });
    expect(body.reservationId).toBe((enqueued[0]!.command as { reservationId: string }).reservationId);
  });

  it("answers 409 sold-out as a problem when the decision refuses", async () => {
    const { app } = backend({ stock: 0 });
    const res = await reserve(app);
    expect(res.status).toBe(409);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ type: "/problems/sold-out", status: 409 });
  });

  it("refuses at the edge, without enqueueing, when the view says sold out with nothing held", async () => {
    const { app, enqueued } = backend({ stock: 5, soldOutView: true });
    const res = await reserve(app);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: "/problems/sold-out" });
    expect(enqueued).toHaveLength(0);
  });

  it("answers 202 with a Location to poll when the decision is late, and the poll shows pending", async () => {
    const { app } = backend({ stock: 5, silent: true });
    const res = await reserve(app);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { requestId: string; status: string };
    expect(body.status).toBe("pending");
    expect(res.headers.get("Location")).toBe(`/v1/requests/${body.requestId}`);
    const poll = await app.request(`/v1/requests/${body.requestId}`, {
      headers: { Authorization: `Bearer ${alice}` },
    });
    expect(poll.status).toBe(200);
    expect(await poll.json()).toEqual({ requestId: body.requestId, status: "pending" });
    const other = await app.request(`/v1/requests/${body.requestId}`, {
      headers: { Authorization: `Bearer ${bob}` },
    });
    expect(other.status).toBe(404);
  });

  it("same Idempotency-Key and body: the first response again, one command; other body: 422", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const first = await reserve(app, { key: "k-1" });
    const again = await reserve(app, { key: "k-1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(await first.json());
    const other = await reserve(app, { key: "k-1", body: JSON.stringify({ quantity: 2 }) });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ type: "/problems/idempotency-mismatch" });
    expect(enqueued).toHaveLength(1);
  });

  it("concurrent duplicates enqueue one command and get the same answer", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => reserve(app, { key: "same" })));
    const bodies = await Promise.all(answers.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(enqueued).toHaveLength(1);
  });

  it.each([
    ["a missing quantity", "{}"],
    ["a string quantity", JSON.stringify({ quantity: "1" })],
    ["quantity 0", JSON.stringify({ quantity: 0 })],
    ["quantity -1", JSON.stringify({ quantity: -1 })],
    ["quantity 1.5", JSON.stringify({ quantity: 1.5 })],
    ["quantity 10^9", JSON.stringify({ quantity: 1e9 })],
    ["a non-boolean allowPartial", JSON.stringify({ quantity: 1, allowPartial: "yes" })],
    ["malformed JSON", "{quantity: 1"],
    ["a JSON array", "[1]"],
    ["a body over 16 KiB", JSON.stringify({ quantity: 1, pad: "x".repeat(17 * 1024) })],
  ])("answers 400 bad-request for %s and enqueues nothing", async (_what, body) => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await reserve(app, { body });
    expect(res.status).toBe(400);
    const p = (await res.json()) as { type: string; detail: string };
    expect(p.type).toBe("/problems/bad-request");
    expect(p.detail.length).toBeGreaterThan(0);
    expect(enqueued).toHaveLength(0);
  });

  it("answers 400 for a wrong content type and for a missing or bad Idempotency-Key", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    expect((await reserve(app, { type: "text/plain" })).status).toBe(400);
    expect((await reserve(app, { key: null })).status).toBe(400);
    expect((await reserve(app, { key: "x".repeat(129) })).status).toBe(400);
    expect(enqueued).toHaveLength(0);
  });

  it("answers 401 without or with a bad token, 404 for an unknown SKU", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    expect((await reserve(app, { token: null })).status).toBe(401);
    expect((await reserve(app, { token: "not.a.token" })).status).toBe(401);
    const forged = await signToken("another-secret-0123456789", { userId: "alice" });
    expect((await reserve(app, { token: forged })).status).toBe(401);
    const unknown = await reserve(app, { sku: "nope" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: "/problems/unknown-sku" });
    expect(enqueued).toHaveLength(0);
  });
});

describe("admin and owner routes", () => {
  it("POST /v1/skus needs an admin token and a valid listing", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const listing = {
      skuId: "cap",
      name: "Cap",
      description: "",
      priceCents: 1500,
      currency: "EUR",
      stock: 10,
    };
    const post = (token: string, body: unknown) =>
      app.request("/v1/skus", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          "Idempotency-Key": randomUUID(),
        },
        body: JSON.stringify(body),
      });
    expect((await post(alice, listing)).status).toBe(403);
    expect((await post(admin, { ...listing, currency: "euro" })).status).toBe(400);
    const ok = await post(admin, listing);
    expect(ok.status).toBe(201);
    expect(enqueued[0]?.command).toMatchObject({
      type: "ListSku",
      skuId: "cap",
      perUserLimit: 1,
      holdSeconds: 120,
      tags: [],
    });
  });

  it("DELETE /v1/reservations/{id}: 404 for an unknown reservation, 200 for the owner's", async () => {
    const { app } = backend({ stock: 5 });
    const unknown = await app.request(`/v1/reservations/${randomUUID()}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${alice}` },
    });
    expect(unknown.status).toBe(404);
    const r = (await (await reserve(app)).json()) as { reservationId: string };
    const del = await app.request(`/v1/reservations/${r.reservationId}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${alice}` },
    });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ reservationId: r.reservationId, status: "cancelled" });
  });
});
