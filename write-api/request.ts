import { createHash } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import type { Context } from "hono";
import type * as t from "io-ts";
import { canonicalJson } from "../event-schemas/index.ts";
import { problem } from "../infra/http/problem.ts";
import { IdempotencyKey } from "./bodies.ts";

/** API.md: request bodies are JSON, at most 16 KiB. */
export const MAX_BODY_BYTES = 16 * 1024;

const describe = (errors: t.Errors): string =>
  errors
    .slice(0, 5)
    .map((e) => {
      const path = e.context
        .map((c) => c.key)
        .filter((k) => k !== "" && !/^\d+$/.test(k))
        .join(".");
      const expected = e.context[e.context.length - 1]?.type.name ?? "a valid value";
      return e.value === undefined
        ? `${path || "body"} is required`
        : `${path || "body"} must be ${expected}, got ${JSON.stringify(e.value)}`;
    })
    .filter((s, i, all) => all.indexOf(s) === i)
    .join("; ");

/**
 * Read and decode a JSON body: `application/json`, at most 16 KiB, well-formed, and valid for `codec`.
 * Every failure is a 400 `bad-request` naming what is wrong (API.md defines no 413/415).
 */
export const readJson = async <A>(
  c: Context,
  codec: t.Decoder<unknown, A>,
): Promise<E.Either<Response, { readonly value: A; readonly raw: unknown }>> => {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/json\s*(;.*)?$/i.test(type.trim()))
    return E.left(
      problem(c, "bad-request", `the body must be application/json (got "${type || "no Content-Type"}")`),
    );
  const declared = Number(c.req.header("Content-Length") ?? "0");
  if (declared > MAX_BODY_BYTES)
    return E.left(problem(c, "bad-request", `the body is larger than ${MAX_BODY_BYTES} bytes`));
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES)
    return E.left(problem(c, "bad-request", `the body is larger than ${MAX_BODY_BYTES} bytes`));
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return E.left(problem(c, "bad-request", "the body is not well-formed JSON"));
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return E.left(problem(c, "bad-request", "the body must be a JSON object"));
  const r = codec.decode(raw);
  if (E.isLeft(r)) return E.left(problem(c, "bad-request", describe(r.left)));
  return E.right({ value: r.right, raw });
};

/** The `Idempotency-Key` header, required on state-changing POSTs (1–128 visible ASCII characters). */
export const idempotencyKeyOf = (c: Context): E.Either<Response, string> => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return E.left(problem(c, "bad-request", "the Idempotency-Key header is required"));
  return IdempotencyKey.is(key)
    ? E.right(key)
    : E.left(problem(c, "bad-request", "Idempotency-Key must be 1-128 visible ASCII characters"));
};

/** What makes two requests "the same request" for an idempotency key: route and canonical body. */
export const fingerprintOf = (method: string, path: string, body: unknown): string =>
  createHash("sha256")
    .update(`${method} ${path}\n`)
    .update(body === undefined ? "" : canonicalJson(body))
    .digest("base64url");

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } };

/** The client's address as the socket sees it (no proxy headers are trusted), "unknown" in tests. */
export const ipOf = (c: Context): string =>
  (c.env as NodeEnv | undefined)?.incoming?.socket?.remoteAddress ?? "unknown";
