import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { type AuthEnv, authenticate, makeTokenVerifier, signClaims, signToken } from "./auth.ts";

const SECRET = "auth-test-secret-0123456789";
const now = () => Math.floor(Date.now() / 1000);

const appWith = (verify: ReturnType<typeof makeTokenVerifier>) => {
  const app = new Hono<AuthEnv>();
  app.get("/me", authenticate(verify), (c) => c.json(c.get("principal")));
  app.get("/admin", authenticate(verify, { admin: true }), (c) => c.json(c.get("principal")));
  return app;
};
const get = (app: Hono<AuthEnv>, path: string, authorization?: string) =>
  app.request(path, authorization === undefined ? {} : { headers: { Authorization: authorization } });

describe("item 8: a 401 carries a Bearer challenge (RFC 6750 §3)", () => {
  const app = appWith(makeTokenVerifier(SECRET));

  it("without a token: WWW-Authenticate: Bearer, no error code", async () => {
    for (const auth of [undefined, "Basic YWxpY2U6cHc="]) {
      const res = await get(app, "/me", auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toBe("Bearer");
      expect(await res.json()).toMatchObject({ type: "/problems/unauthorized" });
    }
  });

  it('with a token that does not verify: error="invalid_token" and a description', async () => {
    const forged = await signToken("another-secret-0123456789", { userId: "alice" });
    for (const auth of [`Bearer ${forged}`, "Bearer not.a.token", "Bearer", "Bearer ü"]) {
      const res = await get(app, "/me", auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(
        /^Bearer error="invalid_token", error_description="[^"]+"$/,
      );
    }
  });

  it("a valid token passes; a shopper's token on an admin route is 403 insufficient_scope", async () => {
    const alice = await signToken(SECRET, { userId: "alice" });
    const ok = await get(app, "/me", `Bearer ${alice}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ userId: "alice", admin: false });
    const forbidden = await get(app, "/admin", `Bearer ${alice}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("WWW-Authenticate")).toMatch(/error="insufficient_scope"/);
  });
});

describe("item 9: exp is required and the lifetime is bounded", () => {
  const verify = makeTokenVerifier(SECRET, { maxLifetimeSeconds: 3600 });

  it("refuses a token without exp", () => {
    expect(verify.check(signClaims(SECRET, { sub: "alice", iat: now() }))).toEqual({
      ok: false,
      why: "no-expiry",
    });
  });

  it("refuses a token living longer than the maximum, with or without iat", () => {
    const t = now();
    expect(verify.check(signClaims(SECRET, { sub: "alice", iat: t, exp: t + 3601 }))).toMatchObject({
      why: "lifetime-too-long",
    });
    expect(verify.check(signClaims(SECRET, { sub: "alice", exp: t + 7200 }))).toMatchObject({
      why: "lifetime-too-long",
    });
    // An old iat does not buy a longer life: exp - iat counts.
    expect(verify.check(signClaims(SECRET, { sub: "alice", iat: t - 3000, exp: t + 1000 }))).toMatchObject({
      why: "lifetime-too-long",
    });
    expect(verify.check(signClaims(SECRET, { sub: "alice", iat: t, exp: t + 3600 }))).toMatchObject({
      ok: true,
    });
  });

  it("refuses expired, not-yet-valid, unsigned and tampered tokens", () => {
    const t = now();
    expect(verify.check(signClaims(SECRET, { sub: "a", iat: t - 100, exp: t - 1 }))).toMatchObject({
      why: "expired",
    });
    expect(verify.check(signClaims(SECRET, { sub: "a", iat: t, exp: t + 60, nbf: t + 30 }))).toMatchObject({
      why: "not-yet-valid",
    });
    const good = signClaims(SECRET, { sub: "alice", iat: t, exp: t + 60 });
    const [h, p] = good.split(".") as [string, string];
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${p}.`;
    expect(verify.check(none).ok).toBe(false);
    const admin = Buffer.from(JSON.stringify({ sub: "alice", iat: t, exp: t + 60, role: "admin" })).toString(
      "base64url",
    );
    expect(verify.check(`${h}.${admin}.${good.split(".")[2]}`)).toMatchObject({ why: "bad-signature" });
    expect(verify.check(signClaims(SECRET, { sub: "not a user id", iat: t, exp: t + 60 }))).toMatchObject({
      why: "bad-subject",
    });
  });

  it("a verified token stops passing when it expires, though it was cached", () => {
    let clock = Date.now();
    const v = makeTokenVerifier(SECRET, { now: () => clock });
    const t = Math.floor(clock / 1000);
    const token = signClaims(SECRET, { sub: "alice", iat: t, exp: t + 10 });
    expect(v.check(token).ok).toBe(true);
    clock += 11_000;
    expect(v.check(token)).toEqual({ ok: false, why: "expired" });
  });

  it("holdfast token issues short-lived tokens, and none longer than the server accepts", async () => {
    const run = promisify(execFile);
    const bin = new URL("../../ops/bin/holdfast.mjs", import.meta.url).pathname;
    const env = { ...process.env, HOLDFAST_JWT_SECRET: SECRET, HOLDFAST_TOKEN_MAX_SECONDS: "7200" };
    const { stdout } = await run("node", [bin, "token", "--user", "alice"], { env });
    const token = stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as {
      iat: number;
      exp: number;
    };
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(3600);
    expect(makeTokenVerifier(SECRET, { maxLifetimeSeconds: 7200 }).check(token)).toMatchObject({ ok: true });
    const tooLong = await run("node", [bin, "token", "--user", "alice", "--expires", "3h"], { env }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(tooLong?.code).toBe(1);
    expect(tooLong?.stderr).toMatch(/HOLDFAST_TOKEN_MAX_SECONDS/);
  }, 60_000);
});
