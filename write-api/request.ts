import { hash } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import type { Context } from "hono";
import type * as t from "io-ts";
import { canonicalJson, decodeErrorExpected, decodeErrorPath } from "../event-schemas/index.ts";
import { problem } from "../infra/http/problem.ts";
import { IdempotencyKey } from "./bodies.ts";
import { type IncomingBody, isJsonType, parseJsonBody, readBodyBytes } from "./body.ts";

/** A value as it appears in a 400's detail: JSON, cut short (a body may be 16 KiB). */
const shown = (value: unknown): string => {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

const describe = (errors: t.Errors): string =>
  errors
    .slice(0, 5)
    .map((e) => {
      const path = decodeErrorPath(e, { numericKeys: false }) || "body";
      return e.value === undefined
        ? `${path} is required`
        : `${path} must be ${decodeErrorExpected(e)}, got ${shown(e.value)}`;
    })
    .filter((s, i, all) => all.indexOf(s) === i)
    .join("; ");

export interface BodyOptions {
  /** How long the body may take to arrive (default `BODY_DEADLINE_MS`). */
  readonly deadlineMs?: number | undefined;
}

const bytesOf = (c: Context, opts: BodyOptions) =>
  readBodyBytes(
    c.req.raw,
    opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs },
    (c.env as { incoming?: IncomingBody } | undefined)?.incoming,
  );

/**
 * Read and decode a JSON body: `application/json`, at most 16 KiB, arriving within the deadline,
 * well-formed, representable as canonical JSON (`body.ts`), and valid for `codec`. Every failure is a
 * 400 `bad-request` naming what is wrong (API.md defines no 413/415).
 */
export const readJson = async <A>(
  c: Context,
  codec: t.Decoder<unknown, A>,
  opts: BodyOptions = {},
): Promise<E.Either<Response, { readonly value: A; readonly raw: unknown }>> => {
  const type = c.req.header("Content-Type");
  if (!isJsonType(type))
    return E.left(
      problem(c, "bad-request", `the body must be application/json (got "${type || "no Content-Type"}")`),
    );
  const bytes = await bytesOf(c, opts);
  if (E.isLeft(bytes)) return E.left(problem(c, "bad-request", bytes.left));
  const raw = parseJsonBody(bytes.right);
  if (E.isLeft(raw)) return E.left(problem(c, "bad-request", raw.left));
  if (typeof raw.right !== "object" || raw.right === null || Array.isArray(raw.right))
    return E.left(problem(c, "bad-request", "the body must be a JSON object"));
  const r = codec.decode(raw.right);
  if (E.isLeft(r)) return E.left(problem(c, "bad-request", describe(r.left)));
  return E.right({ value: r.right, raw: raw.right });
};

/**
 * The body of a route that takes none (API.md "—"): empty, or the empty JSON object `{}`. It is still
 * read to the end (bounded, within the deadline) before the route acts, so a request whose body never
 * arrives changes nothing.
 */
export const readNoBody = async (
  c: Context,
  opts: BodyOptions = {},
): Promise<E.Either<Response, undefined>> => {
  const bytes = await bytesOf(c, opts);
  if (E.isLeft(bytes)) return E.left(problem(c, "bad-request", bytes.left));
  if (bytes.right.byteLength === 0) return E.right(undefined);
  const type = c.req.header("Content-Type");
  if (!isJsonType(type))
    return E.left(
      problem(
        c,
        "bad-request",
        `a body, when sent, must be application/json (got "${type || "no Content-Type"}")`,
      ),
    );
  const raw = parseJsonBody(bytes.right);
  if (E.isLeft(raw)) return E.left(problem(c, "bad-request", raw.left));
  const empty =
    typeof raw.right === "object" &&
    raw.right !== null &&
    !Array.isArray(raw.right) &&
    Object.keys(raw.right).length === 0;
  return empty
    ? E.right(undefined)
    : E.left(problem(c, "bad-request", "this route takes no body (send none, or {})"));
};

/** The `Idempotency-Key` header, required on state-changing POSTs (1–128 visible ASCII characters). */
export const idempotencyKeyOf = (c: Context): E.Either<Response, string> => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return E.left(problem(c, "bad-request", "the Idempotency-Key header is required"));
  return IdempotencyKey.is(key)
    ? E.right(key)
    : E.left(problem(c, "bad-request", "Idempotency-Key must be 1-128 visible ASCII characters"));
};

/**
 * What makes two requests "the same request" for an idempotency key: route and canonical body. One-shot
 * `hash` (Node ≥ 20.12): the same digest as a `createHash` over the two parts, at half the cost.
 */
export const fingerprintOf = (method: string, path: string, body: unknown): string =>
  hash("sha256", `${method} ${path}\n${body === undefined ? "" : canonicalJson(body)}`, "base64url");

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } };

/** The client's address as the socket sees it (no proxy headers are trusted), "unknown" in tests. */
export const ipOf = (c: Context): string =>
  (c.env as NodeEnv | undefined)?.incoming?.socket?.remoteAddress ?? "unknown";
