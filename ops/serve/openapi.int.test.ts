import { randomUUID } from "node:crypto";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi.ts";
import { API_MD_ROUTES } from "./testing/api-routes.ts";
import { type Harness, type ServeProcess, startHarness, waitFor } from "./testing/harness.ts";

/**
 * Issue 12 item 6: `/openapi.json` is a valid OpenAPI 3.1 document (checked by a real validator), holds
 * every route of API.md, and real answers of a running holdfast (every role, real servers) match what
 * it documents for their route, method and status: body schema, content type and required headers.
 */

type Json = Record<string, unknown>;
type Doc = ReturnType<typeof openApiDocument>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
const doc = openApiDocument() as unknown as Doc & { paths: Record<string, Record<string, Json>> };
ajv.addSchema(doc as unknown as Json, "openapi");

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
const resolveHeader = (h: Json): Json => {
  const r = h.$ref as string | undefined;
  if (r === undefined) return h;
  return (doc.components.headers as Record<string, Json>)[r.split("/").pop() as string] as Json;
};

/** Which documented path template a concrete path matches. */
const templateOf = (path: string): string | undefined =>
  Object.keys(doc.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path));

const checked: string[] = [];

/** Check one real answer against the document; returns the parsed body (when JSON). */
const conforms = async (method: string, path: string, res: Response): Promise<unknown> => {
  const template = templateOf(path.split("?")[0] as string);
  expect(template, `${method} ${path} is documented`).toBeDefined();
  const op = doc.paths[template as string]?.[method.toLowerCase()] as Json | undefined;
  expect(op, `${method} ${template} is documented`).toBeDefined();
  const responses = op?.responses as Record<string, Json>;
  const status = String(res.status);
  const documented = responses[status];
  expect(documented, `${method} ${template} documents ${status}`).toBeDefined();
  for (const [name, h] of Object.entries((documented?.headers as Record<string, Json> | undefined) ?? {}))
    if (resolveHeader(h).required === true)
      expect(res.headers.get(name), `${method} ${template} ${status} sends ${name}`).not.toBeNull();
  checked.push(`${method} ${template} ${status}`);
  const content = documented?.content as Record<string, Json> | undefined;
  if (content === undefined || res.status === 304) return undefined;
  const type = (res.headers.get("Content-Type") ?? "").split(";")[0]?.trim() as string;
  expect(Object.keys(content), `${method} ${template} ${status} documents ${type}`).toContain(type);
  if (!type.endsWith("json")) return res.body?.cancel();
  const body: unknown = await res.json();
  const id = `openapi#/${pointer("paths", template as string, method.toLowerCase(), "responses", status, "content", type, "schema")}`;
  const validate = ajv.getSchema(id);
  expect(validate, id).toBeDefined();
  const ok = validate?.(body);
  expect(
    ok,
    `${method} ${path} ${status}: ${JSON.stringify(validate?.errors)} in ${JSON.stringify(body)}`,
  ).toBe(true);
  return body;
};

let h: Harness;
let idle: Harness;
let all: ServeProcess;
let late: ServeProcess;
let admin = "";
let alice = "";
let bob = "";

beforeAll(async () => {
  h = await startHarness("openapi");
  all = await h.serve("command-handler,write-api,projector,read-api,payments");
  // A write API whose namespace has no command handler: every write it takes answers 202.
  idle = await startHarness("openapiidle");
  late = await idle.serve("write-api", { waitMs: 200 });
  admin = await h.token("ops", true);
  alice = await h.token("alice");
  bob = await h.token("bob");
}, 180_000);
afterAll(async () => {
  await h?.close();
  await idle?.close();
});

describe("GET /openapi.json", () => {
  it("is what the server serves", async () => {
    const res = await fetch(`http://127.0.0.1:${all.port}/openapi.json`);
    const served = (await conforms("GET", "/openapi.json", res)) as Json;
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it("real answers of every route match their documented schemas", async () => {
    const base = `http://127.0.0.1:${all.port}`;
    const call = async (
      method: string,
      path: string,
      opts: {
        token?: string;
        body?: unknown;
        key?: string | null;
        headers?: Record<string, string>;
        port?: number;
      } = {},
    ) => {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers["Content-Type"] = "application/json";
      if (method === "POST" && opts.key !== null) headers["Idempotency-Key"] = opts.key ?? randomUUID();
      const res = await fetch(`http://127.0.0.1:${opts.port ?? all.port}${path}`, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
      return { res, body: (await conforms(method, path, res)) as Json };
    };
    const sku = `oa-${randomUUID().slice(0, 8)}`;
    const listing = {
      skuId: sku,
      name: "Lamp",
      description: "A lamp",
      priceCents: 1500,
      currency: "EUR",
      stock: 3,
      tags: ["lamp"],
    };

    // Write routes: success and each documented refusal reachable without faults.
    const key = randomUUID();
    expect((await call("POST", "/v1/skus", { token: admin, body: listing, key })).res.status).toBe(201);
    expect(
      (await call("POST", "/v1/skus", { token: admin, body: { ...listing, stock: 4 }, key })).res.status,
    ).toBe(422);
    expect((await call("POST", "/v1/skus", { token: admin, body: listing })).res.status).toBe(409);
    expect((await call("POST", "/v1/skus", { token: alice, body: listing })).res.status).toBe(403);
    expect((await call("POST", "/v1/skus", { body: listing })).res.status).toBe(401);
    expect((await call("POST", "/v1/skus", { token: "x.y.z", body: listing })).res.status).toBe(401);
    expect(
      (await call("POST", "/v1/skus", { token: admin, body: { ...listing, currency: "euro" } })).res.status,
    ).toBe(400);
    expect(
      (await call("POST", `/v1/skus/${sku}/stock`, { token: admin, body: { quantity: 2 } })).res.status,
    ).toBe(200);
    expect(
      (await call("POST", "/v1/skus/nope-nope/stock", { token: admin, body: { quantity: 2 } })).res.status,
    ).toBe(404);
    const held = await call("POST", `/v1/skus/${sku}/reservations`, { token: alice, body: { quantity: 1 } });
    expect(held.res.status).toBe(201);
    const reservationId = held.body.reservationId as string;
    const second = await call("POST", `/v1/skus/${sku}/reservations`, { token: bob, body: { quantity: 1 } });
    expect(second.res.status).toBe(201);
    expect(
      (await call("POST", `/v1/skus/${sku}/reservations`, { token: alice, body: { quantity: 9 } })).res
        .status,
    ).toBe(409);
    expect(
      (await call("POST", "/v1/skus/nope-nope/reservations", { token: alice, body: { quantity: 1 } })).res
        .status,
    ).toBe(404);
    // DELETE: another shopper's, the owner's, again, unknown.
    const other = (await call("DELETE", `/v1/reservations/${second.body.reservationId}`, { token: alice }))
      .res.status;
    expect([403, 404]).toContain(other);
    expect(
      (await call("DELETE", `/v1/reservations/${second.body.reservationId}`, { token: bob })).res.status,
    ).toBe(200);
    expect(
      (await call("DELETE", `/v1/reservations/${second.body.reservationId}`, { token: bob })).res.status,
    ).toBe(409);
    expect((await call("DELETE", `/v1/reservations/${randomUUID()}`, { token: bob })).res.status).toBe(404);
    const order = await call("POST", "/v1/orders", {
      token: alice,
      body: { reservationId, paymentToken: "tok_ok" },
    });
    expect(order.res.status).toBe(202);
    expect(
      (
        await call("POST", "/v1/orders", {
          token: alice,
          body: { reservationId: randomUUID(), paymentToken: "t" },
        })
      ).res.status,
    ).toBe(404);

    // The request outcome route: a decided refusal names its request.
    const refusal = await call("POST", `/v1/skus/${sku}/reservations`, {
      token: alice,
      body: { quantity: 9 },
    });
    expect(refusal.res.status).toBe(409);
    const refusedId = refusal.body.requestId as string;
    expect((await call("GET", `/v1/requests/${refusedId}`, { token: alice })).res.status).toBe(409);
    expect((await call("GET", `/v1/requests/${refusedId}`, { token: bob })).res.status).toBe(404);
    expect((await call("GET", `/v1/requests/${randomUUID()}`)).res.status).toBe(401);

    // 202s (nothing decides in the idle namespace) and a pending request.
    const idleSku = `oa-idle-${randomUUID().slice(0, 8)}`;
    const lateListing = await call("POST", "/v1/skus", {
      token: admin,
      body: { ...listing, skuId: idleSku },
      port: late.port,
    });
    expect(lateListing.res.status).toBe(202);
    const pendingId = lateListing.body.requestId as string;
    expect((await call("GET", `/v1/requests/${pendingId}`, { token: admin, port: late.port })).body).toEqual({
      requestId: pendingId,
      status: "pending",
    });
    const lateStock = await call("POST", `/v1/skus/${idleSku}/stock`, {
      token: admin,
      body: { quantity: 1 },
      port: late.port,
    });
    expect([202, 404]).toContain(lateStock.res.status);
    const lateHold = await call("POST", `/v1/skus/${idleSku}/reservations`, {
      token: bob,
      body: { quantity: 1 },
      port: late.port,
    });
    expect([202, 404]).toContain(lateHold.res.status);

    // Read routes, once the views show the writes.
    const at = { "X-Min-Revision": `${sku}@${held.body.revision}` };
    expect(
      (await call("GET", `/v1/reservations/${reservationId}`, { token: alice, headers: at })).res.status,
    ).toBe(200);
    expect((await call("GET", `/v1/reservations/${reservationId}`, { token: bob })).res.status).toBe(404);
    expect((await call("GET", `/v1/reservations/${reservationId}`)).res.status).toBe(401);
    const orderId = order.body.orderId as string;
    await waitFor("the order view", async () => {
      const r = await fetch(`${base}/v1/orders/${orderId}`, {
        headers: { Authorization: `Bearer ${alice}` },
      });
      await r.body?.cancel();
      return r.status === 200;
    });
    expect((await call("GET", `/v1/orders/${orderId}`, { token: alice })).res.status).toBe(200);
    expect((await call("GET", `/v1/orders/${orderId}`, { token: bob })).res.status).toBe(404);
    expect((await call("GET", "/v1/me/orders", { token: alice })).res.status).toBe(200);
    const avail = await call("GET", `/v1/products/${sku}/availability`, { headers: at });
    expect(avail.res.status).toBe(200);
    const etag = avail.res.headers.get("ETag") as string;
    expect(
      (await call("GET", `/v1/products/${sku}/availability`, { headers: { "If-None-Match": etag } })).res
        .status,
    ).toBe(304);
    expect((await call("GET", "/v1/products/nope-nope/availability")).res.status).toBe(404);
    expect((await call("GET", `/v1/products/${sku}`, { headers: at })).res.status).toBe(200);
    expect((await call("GET", "/v1/products/nope-nope")).res.status).toBe(404);
    expect((await call("GET", "/v1/products/bad%20id")).res.status).toBe(400);
    await waitFor("search to find the SKU", async () => {
      const r = await fetch(`${base}/v1/products?tag=lamp&q=lamp`);
      const b = (await r.json()) as { items?: Array<{ skuId: string }> };
      return b.items?.some((i) => i.skuId === sku) === true;
    });
    expect((await call("GET", "/v1/products?tag=lamp&q=lamp")).res.status).toBe(200);
    expect((await call("GET", "/v1/products?page=101&size=100")).res.status).toBe(400);
    expect((await call("GET", "/v1/products", { headers: { "X-Min-Revision": "bad" } })).res.status).toBe(
      400,
    );
    const abort = new AbortController();
    const stream = await fetch(`${base}/v1/products/${sku}/availability/stream`, { signal: abort.signal });
    expect(stream.status).toBe(200);
    await conforms("GET", `/v1/products/${sku}/availability/stream`, stream);
    abort.abort();

    // Closing, twice (the same answer), then a reservation refused as closed.
    expect((await call("POST", `/v1/skus/${sku}/close`, { token: admin })).res.status).toBe(200);
    const again = await call("POST", `/v1/skus/${sku}/close`, { token: admin, body: {} });
    expect(again.body).toMatchObject({ skuId: sku, status: "closed" });
    expect((await call("POST", `/v1/skus/${sku}/close`, { token: admin, body: { now: 1 } })).res.status).toBe(
      400,
    );
    expect(
      (await call("POST", `/v1/skus/${sku}/reservations`, { token: alice, body: { quantity: 1 } })).res
        .status,
    ).toBe(409);

    // Operational routes.
    expect((await call("GET", "/health/live")).res.status).toBe(200);
    expect([200, 503]).toContain((await call("GET", "/health/ready")).res.status);
    expect((await call("GET", "/metrics")).res.status).toBe(200);

    // Every API.md route was answered for real at least once.
    for (const route of API_MD_ROUTES)
      expect(
        checked.some((c) => c.startsWith(`${route} `)),
        `${route} was exercised`,
      ).toBe(true);
  }, 180_000);
});
