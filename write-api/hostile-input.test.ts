import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../infra/http/auth.ts";
import { backend, SECRET } from "./testing/backend.ts";

/**
 * Issue 12's hostile inputs on the write routes, one by one: each answers a 4xx problem naming what is
 * wrong and enqueues nothing (never the 5xx, or the silent 200, they once gave).
 */

let alice: string;
let bob: string;
let admin: string;
beforeAll(async () => {
  alice = await signToken(SECRET, { userId: "alice" });
  bob = await signToken(SECRET, { userId: "bob" });
  admin = await signToken(SECRET, { userId: "ops", admin: true });
});

type App = ReturnType<typeof backend>["app"];

const post = (
  app: App,
  path: string,
  body: string | ReadableStream<Uint8Array> | null,
  opts: { token?: string; type?: string | null; key?: string; headers?: Record<string, string> } = {},
) => {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${opts.token ?? alice}`,
    "Idempotency-Key": opts.key ?? randomUUID(),
    ...opts.headers,
  };
  if (opts.type !== null) headers["Content-Type"] = opts.type ?? "application/json";
  return app.request(path, { method: "POST", headers, body, duplex: "half" } as RequestInit);
};

const listing = (over: Record<string, unknown> = {}) => ({
  skuId: "cap",
  name: "Cap",
  description: "A cap",
  priceCents: 1500,
  currency: "EUR",
  stock: 10,
  ...over,
});

const expectBadRequest = async (res: Response, mentions: RegExp) => {
  expect(res.status).toBe(400);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const p = (await res.json()) as { type: string; detail: string };
  expect(p.type).toBe("/problems/bad-request");
  expect(p.detail).toMatch(mentions);
};

describe("item 1: deep nesting", () => {
  const deep = (n: number) => `{"quantity":${"[".repeat(n)}${"]".repeat(n)}}`;

  it("a 16 KB body nested 8000 deep is a 400 naming the depth, on every write route and field", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    await expectBadRequest(await post(app, "/v1/skus/tee/reservations", deep(8000)), /deep|nest/i);
    await expectBadRequest(
      await post(
        app,
        "/v1/skus",
        JSON.stringify(listing()).replace('"Cap"', `${"[".repeat(5000)}${"]".repeat(5000)}`),
        {
          token: admin,
        },
      ),
      /deep|nest/i,
    );
    await expectBadRequest(await post(app, "/v1/skus/tee/stock", deep(7000), { token: admin }), /deep|nest/i);
    await expectBadRequest(
      await post(app, "/v1/orders", `{"reservationId":${'{"a":'.repeat(2500)}1${"}".repeat(2500)}}`),
      /deep|nest/i,
    );
    expect(enqueued).toHaveLength(0);
  });

  it("ordinary nesting (the tags array) is fine", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await post(app, "/v1/skus", JSON.stringify(listing({ tags: ["a", "b"] })), { token: admin });
    expect(res.status).toBe(201);
    expect(enqueued).toHaveLength(1);
  });
});

describe("item 2: lone surrogates", () => {
  it.each([
    ["a note", "/v1/skus/tee/reservations", '{"quantity":1,"note":"a\\ud800b"}', "alice"],
    ["a key", "/v1/skus/tee/reservations", '{"quantity":1,"\\udc00":1}', "alice"],
    [
      "a paymentToken",
      "/v1/orders",
      `{"reservationId":"${randomUUID()}","paymentToken":"t\\udbff"}`,
      "alice",
    ],
    ["a name", "/v1/skus", JSON.stringify(listing()).replace('"Cap"', '"Ca\\ud83dp"'), "admin"],
    ["a description", "/v1/skus", JSON.stringify(listing()).replace('"A cap"', '"\\udfff"'), "admin"],
    ["a tag", "/v1/skus", JSON.stringify(listing({ tags: ["TAG"] })).replace('"TAG"', '"x\\ud800"'), "admin"],
  ])("in %s is a 400 naming the surrogate", async (_what, path, body, who) => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await post(app, path, body, { token: who === "admin" ? admin : alice });
    await expectBadRequest(res, /surrogate/i);
    expect(enqueued).toHaveLength(0);
  });

  it("a paired surrogate (an emoji) is fine", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await post(app, "/v1/skus", JSON.stringify(listing({ name: "Cap 🧢" })), { token: admin });
    expect(res.status).toBe(201);
    expect(enqueued[0]?.command).toMatchObject({ name: "Cap 🧢" });
  });

  it("a number JSON cannot carry as a finite value (1e400) is a 400", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    await expectBadRequest(
      await post(app, "/v1/skus/tee/reservations", '{"quantity":1,"x":1e400}'),
      /number/i,
    );
    expect(enqueued).toHaveLength(0);
  });
});

describe("item 3: control characters where a person's text belongs", () => {
  it.each([
    ["NUL in a name", { name: "lamp\u0000nul" }, /name/],
    ["an escape in a name", { name: "lamp\u001b[31m" }, /name/],
    ["DEL in a tag", { tags: ["ok", "b\u007fad"] }, /tags/],
    ["a C1 control in a description", { description: "x\u0085y" }, /description/],
    ["NUL in a description", { description: "x\u0000y" }, /description/],
  ])("%s is a 400 naming the field", async (_what, over, field) => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await post(app, "/v1/skus", JSON.stringify(listing(over)), { token: admin });
    await expectBadRequest(res, field);
    expect(enqueued).toHaveLength(0);
  });

  it("NUL in a payment token is a 400", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const body = JSON.stringify({ reservationId: randomUUID(), paymentToken: "tok\u0000" });
    await expectBadRequest(await post(app, "/v1/orders", body), /paymentToken/);
    expect(enqueued).toHaveLength(0);
  });

  it("line breaks and tabs in a description are a person's text", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const res = await post(app, "/v1/skus", JSON.stringify(listing({ description: "one\n\ttwo\r\n" })), {
      token: admin,
    });
    expect(res.status).toBe(201);
    expect(enqueued).toHaveLength(1);
  });
});

describe("item 4: POST /v1/skus/{skuId}/close reads its body", () => {
  it.each([
    ["malformed JSON", "{nope", "application/json", /JSON/],
    ["a 17 KB body", JSON.stringify({ pad: "x".repeat(17 * 1024) }), "application/json", /larger/],
    ["text/plain", "close it", "text/plain", /application\/json/],
    ["a JSON object with members", JSON.stringify({ now: true }), "application/json", /no body/],
  ])("%s is a 400 and the sale stays open", async (_what, body, type, mentions) => {
    const { app, enqueued } = backend({ stock: 5 });
    await expectBadRequest(await post(app, "/v1/skus/tee/close", body, { token: admin, type }), mentions);
    expect(enqueued).toHaveLength(0);
  });

  it("a body that never arrives closes nothing: 400 after the body deadline", async () => {
    const { app, enqueued } = backend({ stock: 5, overrides: { bodyDeadlineMs: 50 } });
    const never = new ReadableStream<Uint8Array>({
      start: (ctl) => ctl.enqueue(new TextEncoder().encode("{")),
    });
    const res = await post(app, "/v1/skus/tee/close", never, {
      token: admin,
      headers: { "Content-Length": "10" },
    });
    await expectBadRequest(res, /did not arrive/);
    expect(enqueued).toHaveLength(0);
  });

  it("no body, or {}, closes the sale; a second close answers API.md's shape again", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const first = await post(app, "/v1/skus/tee/close", null, { token: admin, type: null });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ skuId: "tee", status: "closed" });
    const second = await post(app, "/v1/skus/tee/close", "{}", { token: admin });
    expect(second.status).toBe(200);
    const body = (await second.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["revision", "skuId", "status"]);
    expect(body).toMatchObject({ skuId: "tee", status: "closed" });
    expect(enqueued).toHaveLength(2);
  });
});

describe("item 10: another shopper's request outcome", () => {
  it("answers 404 exactly like an unknown request", async () => {
    const { app } = backend({ stock: 5, silent: true });
    const res = await post(app, "/v1/skus/tee/reservations", JSON.stringify({ quantity: 1 }));
    const { requestId } = (await res.json()) as { requestId: string };
    const read = (token: string, id: string) =>
      app.request(`/v1/requests/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    const theirs = await read(bob, requestId);
    const unknown = await read(bob, randomUUID());
    expect(theirs.status).toBe(404);
    expect(unknown.status).toBe(404);
    const a = (await theirs.json()) as Record<string, unknown>;
    const b = (await unknown.json()) as Record<string, unknown>;
    expect(a.type).toBe("/problems/not-found");
    expect(a.type).toBe(b.type);
    expect((await read(alice, requestId)).status).toBe(200);
    expect((await read(admin, requestId)).status).toBe(200);
  });
});

describe("item 11: the sale window", () => {
  it("a sale that ends before it starts is a 400; a proper window is listed", async () => {
    const { app, enqueued } = backend({ stock: 5 });
    const backwards = listing({
      saleStartsAt: "2030-01-02T00:00:00.000Z",
      saleEndsAt: "2030-01-01T00:00:00.000Z",
    });
    await expectBadRequest(
      await post(app, "/v1/skus", JSON.stringify(backwards), { token: admin }),
      /saleEndsAt/,
    );
    const empty = listing({
      saleStartsAt: "2030-01-01T00:00:00.000Z",
      saleEndsAt: "2030-01-01T00:00:00.000Z",
    });
    await expectBadRequest(
      await post(app, "/v1/skus", JSON.stringify(empty), { token: admin }),
      /saleEndsAt/,
    );
    expect(enqueued).toHaveLength(0);
    const ok = listing({ saleStartsAt: "2030-01-01T00:00:00.000Z", saleEndsAt: "2030-01-02T00:00:00.000Z" });
    expect((await post(app, "/v1/skus", JSON.stringify(ok), { token: admin })).status).toBe(201);
    const open = listing({ saleStartsAt: null, saleEndsAt: "2030-01-02T00:00:00.000Z" });
    expect((await post(app, "/v1/skus", JSON.stringify(open), { token: admin })).status).toBe(201);
    expect(enqueued).toHaveLength(2);
  });
});
