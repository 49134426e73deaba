import * as E from "fp-ts/lib/Either.js";

/**
 * The one way a write route reads its body (API.md: JSON, at most 16 KiB). Every refusal is a sentence
 * for a 400 `bad-request` naming the problem; nothing here throws on any input.
 *
 * Why each bound: the body is read as a stream and abandoned past `MAX_BODY_BYTES`, so a client that
 * omits `Content-Length` cannot make the server buffer more; a body that stops arriving is given up at a
 * deadline, so no route acts on a request it has not fully read; nesting is bounded before parsing, so
 * no recursive walk later (fingerprinting, canonical JSON, logging) can run out of stack; and a value
 * RFC 8785 cannot write (a lone surrogate in a string or key, a number beyond double range such as
 * `1e400`) is refused here, because the idempotency fingerprint and the hash chain are both canonical
 * JSON.
 */

/** API.md: request bodies are JSON, at most 16 KiB. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Deeper than any body of API.md needs (they nest two levels); far below any stack limit. */
export const MAX_JSON_DEPTH = 32;
/** How long a body may take to arrive in full: 16 KiB needs far less on any working link. */
export const BODY_DEADLINE_MS = 10_000;

export type BodyBytes = E.Either<string, Uint8Array>;

/** The Node request a body can be read from directly (`@hono/node-server` passes it as `env.incoming`). */
export interface IncomingBody {
  readonly readableDidRead: boolean;
  on(event: "data", f: (chunk: Buffer) => void): unknown;
  on(event: "end" | "close", f: () => void): unknown;
  on(event: "error", f: (e: Error) => void): unknown;
  off(event: string, f: (...args: never[]) => void): unknown;
  resume(): unknown;
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
};

const BROKE_OFF = "the body could not be read (the connection broke off)";

/**
 * One body read straight from Node's request: its state and its three listeners, made once per request.
 */
class IncomingReader {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private settled = false;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly onData: (chunk: Buffer) => void;
  private readonly onEnd: () => void;
  private readonly onBroken: () => void;

  constructor(
    private readonly incoming: IncomingBody,
    private readonly max: number,
    deadlineMs: number,
    private readonly resolve: (r: BodyBytes) => void,
  ) {
    this.onData = (chunk) => this.data(chunk);
    this.onEnd = () => this.finish(E.right(concat(this.chunks, this.size)));
    this.onBroken = () => this.finish(E.left(BROKE_OFF));
    this.timer = setTimeout(
      () => this.finish(E.left(`the body did not arrive within ${deadlineMs} ms`)),
      deadlineMs,
    );
    incoming.on("data", this.onData);
    incoming.on("end", this.onEnd);
    incoming.on("error", this.onBroken);
    incoming.on("close", this.onBroken);
  }

  private data(chunk: Buffer): void {
    this.size += chunk.byteLength;
    if (this.size > this.max) this.finish(E.left(`the body is larger than ${this.max} bytes`));
    else this.chunks.push(chunk);
  }

  private finish(r: BodyBytes): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.incoming.off("data", this.onData);
    this.incoming.off("end", this.onEnd);
    this.incoming.off("error", this.onBroken);
    this.incoming.off("close", this.onBroken);
    if (E.isLeft(r)) this.incoming.resume(); // discard the rest, so the connection can answer and be reused
    this.resolve(r);
  }
}

/**
 * Read straight from Node's request: no web stream in between (building one per request costs more
 * than the rest of the route), and the rest of an oversized body is drained, not buffered.
 */
const fromIncoming = (incoming: IncomingBody, max: number, deadlineMs: number): Promise<BodyBytes> =>
  new Promise((resolve) => {
    new IncomingReader(incoming, max, deadlineMs, resolve);
  });

/**
 * The body's bytes, at most `max`, within `deadlineMs`. A declared `Content-Length` above the bound is
 * refused before reading anything. `incoming` (the Node request, when served by Node) is read directly;
 * otherwise (`app.request` in tests) the Request's stream.
 */
export const readBodyBytes = async (
  req: Request,
  opts: { readonly max?: number; readonly deadlineMs?: number } = {},
  incoming?: IncomingBody,
): Promise<BodyBytes> => {
  const max = opts.max ?? MAX_BODY_BYTES;
  const deadlineMs = opts.deadlineMs ?? BODY_DEADLINE_MS;
  const tooLarge = `the body is larger than ${max} bytes`;
  const declared = req.headers.get("Content-Length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > max) return E.left(tooLarge);
  if (incoming !== undefined && !incoming.readableDidRead) return fromIncoming(incoming, max, deadlineMs);
  if (req.body === null) return E.right(new Uint8Array(0));
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), deadlineMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), late]);
      if (next === "late") return E.left(`the body did not arrive within ${deadlineMs} ms`);
      if (next.done) break;
      size += next.value.byteLength;
      if (size > max) return E.left(tooLarge);
      chunks.push(next.value);
    }
  } catch {
    return E.left(BROKE_OFF);
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => undefined);
  }
  return E.right(concat(chunks, size));
};

/** How deep the text's arrays and objects nest (strings skipped), stopping once past `limit`. */
const nestingExceeds = (text: string, limit: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const where = (path: ReadonlyArray<string | number>): string =>
  path.length === 0 ? "the body" : path.map(String).join(".");

/** Whether RFC 8785 can write `value` (no path kept: the common, valid case allocates nothing). */
const representable = (value: unknown): boolean => {
  if (typeof value === "string") return !LONE_SURROGATE.test(value);
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(representable);
  for (const k in value)
    if (
      Object.hasOwn(value, k) &&
      (LONE_SURROGATE.test(k) || !representable((value as Record<string, unknown>)[k]))
    )
      return false;
  return true;
};

/**
 * Why RFC 8785 cannot write `value` (naming the first place found), or `null` when it can. `value` comes
 * from `JSON.parse` of a depth-checked text, so the recursion is bounded.
 */
export const unrepresentable = (value: unknown, path: Array<string | number> = []): string | null => {
  if (representable(value)) return null;
  if (typeof value === "string") return `${where(path)} contains a lone surrogate (not valid Unicode)`;
  if (typeof value === "number") return `${where(path)} is a number beyond what JSON numbers can carry`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const why = unrepresentable(value[i], [...path, i]);
      if (why !== null) return why;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (LONE_SURROGATE.test(k)) return `a member name in ${where(path)} contains a lone surrogate`;
    const why = unrepresentable(v, [...path, k]);
    if (why !== null) return why;
  }
  return null;
};

/** One strict decoder for every body (a `decode` without `stream` starts fresh each call). */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parse body bytes as a JSON value RFC 8785 can write: UTF-8, well-formed, nested at most
 * `MAX_JSON_DEPTH` deep, no lone surrogates, finite numbers.
 */
export const parseJsonBody = (bytes: Uint8Array): E.Either<string, unknown> => {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return E.left("the body is not valid UTF-8");
  }
  if (nestingExceeds(text, MAX_JSON_DEPTH))
    return E.left(`the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return E.left("the body is not well-formed JSON");
  }
  const why = unrepresentable(raw);
  return why === null ? E.right(raw) : E.left(why);
};

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export const isJsonType = (contentType: string | undefined): boolean =>
  /^application\/json\s*(;.*)?$/i.test((contentType ?? "").trim());
