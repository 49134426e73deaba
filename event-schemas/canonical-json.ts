import canonicalize from "canonicalize";

/**
 * RFC 8785 (JCS) canonical JSON, from the reference implementation's author (`canonicalize`).
 * The hash chain is computed over these bytes, so two writers that agree on the value agree on the hash.
 *
 * The writer hashes every event it appends, so the common case takes a faster road to the same bytes:
 * make sure every object's keys are in sorted order (UTF-16 code units, as JCS sorts), copying only the
 * objects that are not, then let the engine's native `JSON.stringify` write it. For such a value
 * `JSON.stringify` emits exactly
 * what JCS prescribes: JCS defines numbers and string escapes as ECMAScript's `JSON.stringify` writes
 * them. Anything the shortcut cannot vouch for goes to the library: non-plain objects (`toJSON`,
 * class instances), `undefined`/functions/bigints/non-finite numbers, array-index-like or `__proto__`
 * keys (V8 would not keep them in insertion order), and any surrogate in the output (JCS rejects lone
 * ones, which `JSON.stringify` would escape instead). `canonical-json.test.ts` checks the two agree
 * byte for byte on random values.
 *
 * @example canonicalJson({ b: 1, a: 2 }) === '{"a":2,"b":1}'
 */
export const canonicalJson = (value: unknown): string => {
  const fast = canonicalJsonFast(value);
  if (fast !== undefined) return fast;
  return canonicalJsonReference(value);
};

/** The library's answer, always (the reference the fast road is tested against). */
export const canonicalJsonReference = (value: unknown): string => {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError("value has no JSON representation");
  return out;
};

const NOT_HANDLED = Symbol("not handled");
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;
const SURROGATE = /[\uD800-\uDFFF]/;
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;

/** Keys V8 would not keep in insertion order (array indices), or that a plain assignment would not own. */
const awkwardKey = (key: string): boolean => {
  const c = key.charCodeAt(0);
  return (c >= 48 && c <= 57 && INDEX_LIKE.test(key)) || key === "__proto__";
};

/** null, a string, a boolean or a finite number: written by `JSON.stringify` exactly as JCS writes it. */
const isPlainScalar = (value: unknown): boolean =>
  value === null ||
  typeof value === "string" ||
  typeof value === "boolean" ||
  (typeof value === "number" && Number.isFinite(value));

/**
 * `value` with every object's keys in sorted order: the same object where it already is (writers build
 * envelopes in sorted order, so usually only `data` is copied), `NOT_HANDLED` where the shortcut cannot
 * vouch for the bytes.
 */
const sortedCopy = (value: unknown): unknown => {
  if (value === null) return value;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : NOT_HANDLED;
    case "object": {
      if (Array.isArray(value)) {
        let out: unknown[] | null = null;
        for (let i = 0; i < value.length; i++) {
          const item = sortedCopy(value[i]);
          if (item === NOT_HANDLED) return NOT_HANDLED;
          if (item !== value[i]) {
            out ??= value.slice();
            out[i] = item;
          }
        }
        return out ?? value;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_HANDLED;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      let inOrder = true;
      // Only nested objects and arrays can come back changed; the array is made on the first change.
      let replaced: unknown[] | null = null;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (awkwardKey(key)) return NOT_HANDLED;
        if (i > 0 && keys[i - 1]! > key) inOrder = false;
        const item = record[key];
        if (typeof item === "object" && item !== null) {
          const copy = sortedCopy(item);
          if (copy === NOT_HANDLED) return NOT_HANDLED;
          if (copy !== item) {
            replaced ??= new Array(keys.length);
            replaced[i] = copy;
          }
        } else if (!isPlainScalar(item)) return NOT_HANDLED;
      }
      if (inOrder && replaced === null) return value;
      const order = keys.map((_, i) => i);
      if (!inOrder) order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
      const out: Record<string, unknown> = {};
      for (const i of order) {
        const key = keys[i]!;
        out[key] = replaced?.[i] ?? record[key];
      }
      return out;
    }
    default:
      return NOT_HANDLED; // undefined, function, symbol, bigint
  }
};

/** The fast road, or `undefined` when only the library may answer. Exported for the equivalence test. */
export const canonicalJsonFast = (value: unknown): string | undefined => {
  const copy = sortedCopy(value);
  if (copy === NOT_HANDLED) return undefined;
  const out = JSON.stringify(copy);
  // The first test is nearly free on one-byte strings (the usual case); the second runs only if some
  // string had to be \u-escaped.
  if (SURROGATE.test(out) || (out.includes("\\u") && ESCAPED_SURROGATE.test(out))) return undefined;
  return out;
};
