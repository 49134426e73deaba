import { createSecretKey } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { jwtVerify, SignJWT } from "jose";
import { problem } from "./problem.ts";

/**
 * Shopper and admin authentication: `Authorization: Bearer <JWT>`, HS256, `sub` = user id,
 * `role: "admin"` for admin routes. The verified principal is stored on the context as `principal`.
 */
export interface Principal {
  readonly userId: string;
  readonly admin: boolean;
}

export type AuthEnv = { Variables: { principal: Principal } };

const USER_ID = /^[A-Za-z0-9._-]{1,64}$/;

export const makeTokenVerifier = (secret: string) => {
  // A KeyObject made once: jose would otherwise import raw key bytes again on every verification.
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  return async (token: string): Promise<Principal | null> => {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
      if (typeof payload.sub !== "string" || !USER_ID.test(payload.sub)) return null;
      return { userId: payload.sub, admin: payload.role === "admin" };
    } catch {
      return null;
    }
  };
};

/** Sign a token (for `holdfast token` and tests). */
export const signToken = async (
  secret: string,
  claims: { readonly userId: string; readonly admin?: boolean; readonly expiresIn?: string },
): Promise<string> =>
  new SignJWT(claims.admin === true ? { role: "admin" } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? "12h")
    .sign(new TextEncoder().encode(secret));

/** 401 without a valid bearer token; 403 when `admin` is required and the token is not an admin's. */
export const authenticate = (
  verify: (token: string) => Promise<Principal | null>,
  opts: { readonly admin?: boolean } = {},
): MiddlewareHandler<AuthEnv> => {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    const match = header === undefined ? null : /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (match === null) return problem(c, "unauthorized", "send Authorization: Bearer <token>");
    const principal = await verify(match[1] as string);
    if (principal === null) return problem(c, "unauthorized", "the token is invalid or expired");
    if (opts.admin === true && !principal.admin)
      return problem(c, "forbidden", "this route needs an admin token");
    c.set("principal", principal);
    await next();
  };
};
