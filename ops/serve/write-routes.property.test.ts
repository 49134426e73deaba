import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Hono } from "hono";
import { signClaims, signToken } from "../../infra/http/auth.ts";
import { problemStatus } from "../../infra/http/problem.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { backend, SECRET } from "../../write-api/testing/backend.ts";
import { composeHttpApp } from "./server.ts";

/**
 * The class of issue 12, as a property over every write route (`app.request` on the app `holdfast serve`
 * composes, with the write API on in-memory deps): for any
 * body (arbitrary JSON, near-valid bodies with hostile values, raw bytes), any headers and any ids,
 * - the answer is never a 5xx;
 * - a 4xx is `application/problem+json` whose `type` is one of API.md's and whose `status` is the answer's;
 * - nothing reaches the queue unless the answer is 2xx, or a refusal the handler decided (a problem
 *   naming the `requestId` it answered: it was queued to be decided).
 */

const TYPES = new Set(Object.keys(problemStatus).map((t) => `/problems/${t}`));
const now = () => Math.floor(Date.now() / 1000);

let tokens: Record<string, string | null> = {};
beforeAll(async () => {
  tokens = {
    alice: await signToken(SECRET, { userId: "alice" }),
    admin: await signToken(SECRET, { userId: "ops", admin: true }),
    none: null,
    forged: await signToken("another-secret-0123456789", { userId: "alice" }),
    noExp: signClaims(SECRET, { sub: "alice", iat: now() }),
    tooLong: signClaims(SECRET, { sub: "ops", role: "admin", iat: now(), exp: now() + 10 * 86_400 }),
    garbage: "not.a.token",
  };
});

/** Strings a person or an attacker might send: with lone surrogates, NUL, controls, huge and odd ones. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom(
    "a\ud800b",
    "\udc00",
    "lamp\u0000nul",
    "\u001b[31m",
    "x\u0085y",
    "",
    " ",
    "🧢",
    "x".repeat(5000),
  ),
);
const anything: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue() },
  nasty,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 1e9, 1e308, -0, null, true, [], {}),
);
const instant = fc.oneof(
  fc
    .date({ min: new Date("2020-01-01"), max: new Date("2040-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  nasty,
);
/** Mostly the valid value (so requests get past the first check), sometimes anything, sometimes absent. */
const maybe = <A>(a: fc.Arbitrary<A>) =>
  fc.oneof(
    { weight: 12, arbitrary: a },
    { weight: 1, arbitrary: anything },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
/** Valid text, or valid text with something hostile inside it. */
const text = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: valid },
    fc.tuple(valid, nasty, valid).map(([a, b, c]) => a + b + c),
  );

const listing = fc.record({
  skuId: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("tee", "cap", "lamp") }, nasty),
  name: maybe(text(fc.constantFrom("Cap", "Lamp"))),
  description: maybe(text(fc.constantFrom("", "A cap"))),
  priceCents: maybe(fc.nat()),
  currency: maybe(fc.constantFrom("EUR", "USD", "euro")),
  stock: maybe(fc.nat()),
  perUserLimit: maybe(fc.integer({ min: -1, max: 5 })),
  holdSeconds: maybe(fc.integer({ min: -1, max: 100_000 })),
  saleStartsAt: maybe(fc.oneof(instant, fc.constant(null))),
  saleEndsAt: maybe(fc.oneof(instant, fc.constant(null))),
  tags: maybe(fc.array(text(fc.constantFrom("tee", "red")), { maxLength: 4 })),
  note: fc.option(anything, { nil: undefined }),
});
const quantity = fc.record({
  quantity: maybe(fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: -2, max: 4 }))),
  allowPartial: maybe(fc.boolean()),
  note: fc.option(anything, { nil: undefined }),
});
const orderBody = (reservationId: fc.Arbitrary<string>) =>
  fc.record({
    reservationId: maybe(reservationId),
    paymentToken: maybe(text(fc.constantFrom("tok_ok", "t"))),
    note: fc.option(anything, { nil: undefined }),
  });

/** A JSON text nested `n` deep somewhere a value belongs. */
const deep = fc.integer({ min: 1, max: 8100 }).map((n) => `{"quantity":${"[".repeat(n)}${"]".repeat(n)}}`);

const bodyOf = (shaped: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 10, arbitrary: shaped.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "{",
        "{}",
        "[]",
        "null",
        '{"quantity":1e400}',
        "\ufeff{}",
        '{"__proto__":{"quantity":1},"quantity":1}',
        '{"quantity":1,"quantity":2}',
        '{"constructor":{"prototype":{"admin":true}},"quantity":1}',
      ),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  );

interface Call {
  readonly route: "list" | "stock" | "close" | "reserve" | "cancel" | "order";
  readonly sku: string;
  readonly id: "last" | "random" | string;
  readonly token: string;
  readonly key: string | null;
  readonly type: string | null;
  readonly body: string | Uint8Array | null;
  readonly extraHeader: readonly [string, string] | null;
}

const id = fc.oneof(fc.constant("last"), fc.constant("random"), nasty);

/** A path segment: percent-encoded UTF-8, or (when `raw:` prefixed) sent as is, malformed escapes too. */
const segment = (s: string): string =>
  s.startsWith("raw:")
    ? s.slice(4).replace(/[/?#\s]/g, "_")
    : [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
const rawSegments = fc.constantFrom(
  "raw:%",
  "raw:%ZZ",
  "raw:%ED%A0%80",
  "raw:%C0%AF",
  "raw:..",
  "raw:%00",
  "raw:tee%",
);
const call: fc.Arbitrary<Call> = fc
  .record({
    route: fc.constantFrom("list", "stock", "close", "reserve", "cancel", "order"),
    sku: fc.oneof({ weight: 12, arbitrary: fc.constant("tee") }, nasty, rawSegments),
    id: fc.oneof({ weight: 4, arbitrary: fc.constant("last") }, id, rawSegments),
    token: fc.oneof(
      { weight: 12, arbitrary: fc.constant("right") },
      fc.constantFrom("alice", "admin", "none", "forged", "noExp", "tooLong", "garbage"),
    ),
    key: fc.oneof({ weight: 10, arbitrary: fc.uuid() }, fc.constant("same-key"), fc.constant(null), nasty),
    type: fc.oneof(
      { weight: 16, arbitrary: fc.constant("application/json") },
      fc.constantFrom("text/plain", "application/json; charset=utf-8", "APPLICATION/JSON", null),
      nasty,
    ),
    extraHeader: fc.option(
      fc.tuple(fc.constantFrom("Content-Length", "X-Min-Revision", "Content-Encoding"), nasty),
    ),
  })
  .chain((c) =>
    (c.route === "list"
      ? bodyOf(listing)
      : c.route === "order"
        ? bodyOf(orderBody(fc.oneof(fc.uuid(), fc.constant("LAST"))))
        : c.route === "close" || c.route === "cancel"
          ? fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, bodyOf(fc.oneof(fc.constant({}), quantity)))
          : bodyOf(quantity)
    ).map((body) => ({ ...c, body }) as Call),
  );

/** Headers a client can actually send (the fetch API refuses the others before any server sees them). */
const headersOf = (c: Call): Headers | null => {
  try {
    const h = new Headers();
    const right = c.route === "list" || c.route === "stock" || c.route === "close" ? "admin" : "alice";
    const token = tokens[c.token === "right" ? right : c.token];
    if (token !== null && token !== undefined) h.set("Authorization", `Bearer ${token}`);
    if (c.key !== null) h.set("Idempotency-Key", c.key);
    if (c.type !== null) h.set("Content-Type", c.type);
    if (c.extraHeader !== null) h.set(c.extraHeader[0], c.extraHeader[1]);
    return h;
  } catch {
    return null;
  }
};

describe("every write route, any input", () => {
  it("never answers 5xx, answers 4xx as an API.md problem, and queues only what it accepted", async () => {
    // The property says little unless inputs get both accepted and refused: count both.
    const seen = { accepted: 0, refusedAtEdge: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (calls, silent) => {
          const { app: writeApp, enqueued } = backend({ stock: 3, silent });
          const app = composeHttpApp({
            apps: [writeApp as unknown as Hono],
            registry: makeRegistry({ defaults: false }),
            checks: [],
            logger: silentLogger(),
          });
          let last: string = randomUUID();
          for (const c of calls) {
            const headers = headersOf(c);
            if (headers === null) continue;
            const target = c.id === "last" ? last : c.id === "random" ? randomUUID() : c.id;
            // Known ids go as they are (a UUID or "tee" needs no escaping).
            const path = {
              list: "/v1/skus",
              stock: `/v1/skus/${segment(c.sku)}/stock`,
              close: `/v1/skus/${segment(c.sku)}/close`,
              reserve: `/v1/skus/${segment(c.sku)}/reservations`,
              cancel: `/v1/reservations/${segment(target)}`,
              order: "/v1/orders",
            }[c.route];
            const body = typeof c.body === "string" ? c.body.replace('"LAST"', JSON.stringify(last)) : c.body;
            const before = enqueued.length;
            const res = await app.request(path, {
              method: c.route === "cancel" ? "DELETE" : "POST",
              headers,
              body,
            });
            const what = `${c.route} ${path} → ${res.status}`;
            expect(res.status, what).toBeLessThan(500);
            if (res.status >= 400) {
              expect(res.headers.get("Content-Type"), what).toBe("application/problem+json");
              const p = (await res.json()) as { type: string; status: number; requestId?: string };
              expect(TYPES.has(p.type), `${what}: ${p.type}`).toBe(true);
              expect(p.status, what).toBe(res.status);
              if (p.requestId === undefined) {
                expect(enqueued.length, `${what} queued a command`).toBe(before);
                seen.refusedAtEdge++;
              }
            } else {
              seen.accepted++;
              const ok = (await res.json()) as { reservationId?: string };
              if (ok.reservationId !== undefined) last = ok.reservationId;
            }
          }
        },
      ),
      { numRuns: Number(process.env.HOLDFAST_PROPERTY_RUNS ?? 400) },
    );
    expect(seen.accepted).toBeGreaterThan(100);
    expect(seen.refusedAtEdge).toBeGreaterThan(50);
  }, 120_000);
});
